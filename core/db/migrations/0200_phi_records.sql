-- PHI at rest. Every *_sealed column holds AES-256-GCM ciphertext bound to its
-- table, column (name without _sealed) and row id; key rotation finds them by
-- that suffix. *_index columns are keyed HMAC blind indexes, never plaintext.

-- One data key per subject (patient or provider), wrapped by a key-encryption
-- key from the keyring (never stored here). Destroying wrapped_key shreds the
-- subject's data; the row stays so nothing new is ever sealed for them.
CREATE TABLE phi_data_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subject_id    uuid NOT NULL UNIQUE,
  kek_id        text,
  wrapped_key   bytea,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rotated_at    timestamptz,
  destroyed_at  timestamptz,
  destroyed_by  uuid,
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL)),
  CHECK ((wrapped_key IS NULL) = (kek_id IS NULL))
);
CREATE INDEX phi_data_keys_kek ON phi_data_keys (kek_id) WHERE kek_id IS NOT NULL;

CREATE TABLE patient_profiles (
  id                        uuid PRIMARY KEY REFERENCES users (id),
  legal_name_sealed         bytea NOT NULL,
  preferred_name_sealed     bytea,
  birth_date_sealed         bytea NOT NULL,
  gender_sealed             bytea,
  gender_identity_sealed    bytea,
  sex_at_birth_sealed       bytea,
  phone_sealed              bytea,
  email_sealed              bytea,
  address_sealed            bytea,
  emergency_contact_sealed  bytea,
  language_sealed           bytea,
  phone_index               bytea,
  email_index               bytea,
  version                   integer NOT NULL DEFAULT 1,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  erased_at                 timestamptz
);
CREATE INDEX patient_profiles_phone ON patient_profiles (phone_index) WHERE phone_index IS NOT NULL;
CREATE INDEX patient_profiles_email ON patient_profiles (email_index) WHERE email_index IS NOT NULL;

CREATE TABLE provider_profiles (
  id                   uuid PRIMARY KEY REFERENCES users (id),
  name_sealed          bytea NOT NULL,
  credentials_sealed   bytea,
  specialties_sealed   bytea,
  npi_sealed           bytea,
  licence_sealed       bytea,
  npi_index            bytea UNIQUE,
  verification_status  text NOT NULL DEFAULT 'unverified'
                       CHECK (verification_status IN ('unverified', 'verified', 'rejected', 'revoked')),
  verified_at          timestamptz,
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- What an admin checked before letting a provider see patients, append-only.
CREATE TABLE provider_verifications (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id  uuid NOT NULL REFERENCES provider_profiles (id),
  outcome      text NOT NULL CHECK (outcome IN ('verified', 'rejected', 'revoked')),
  checks       jsonb NOT NULL,
  note_sealed  bytea,
  checked_by   uuid NOT NULL REFERENCES users (id),
  checked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_verifications_provider ON provider_verifications (provider_id, checked_at);

-- Access outside a care relationship, granted to one user for one patient for
-- a while, with the reason they gave (sealed with the patient's key).
CREATE TABLE break_glass_grants (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  actor_id     uuid NOT NULL REFERENCES users (id),
  patient_id   uuid NOT NULL,
  reason_sealed bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX break_glass_grants_actor ON break_glass_grants (actor_id, patient_id, expires_at);
