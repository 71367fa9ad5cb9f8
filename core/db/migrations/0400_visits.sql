-- Video visits (signalling). The appointment row belongs to scheduling; no
-- foreign key to it here so this migration does not depend on that file's
-- exact shape. FHIR has no "in progress" Appointment status: the appointment
-- stays 'arrived' while the visit runs and visits.state says in_progress.
CREATE TABLE visits (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  appointment_id  uuid NOT NULL UNIQUE,
  state           text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'in_progress', 'ended')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  ended_at        timestamptz,
  ended_by        uuid
);

-- One-time guest invites (interpreter, family member). Only the token's
-- SHA-256 is stored; the label the provider typed is sealed (it may name someone).
CREATE TABLE visit_guests (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  appointment_id  uuid NOT NULL,
  invited_by      uuid NOT NULL REFERENCES users (id),
  guest_kind      text NOT NULL CHECK (guest_kind IN ('interpreter', 'family', 'other')),
  label_sealed    bytea NOT NULL,
  token_hash      bytea NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  redeemed_at     timestamptz,
  revoked_at      timestamptz
);
CREATE INDEX visit_guests_appointment ON visit_guests (appointment_id);

-- Short-lived single-use tickets that open the visit WebSocket. Not access
-- tokens: opaque random values, stored as SHA-256 only, good for one join.
CREATE TABLE visit_tickets (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash      bytea NOT NULL UNIQUE,
  appointment_id  uuid NOT NULL,
  user_id         uuid REFERENCES users (id) ON DELETE CASCADE,
  guest_id        uuid REFERENCES visit_guests (id) ON DELETE CASCADE,
  role            text NOT NULL CHECK (role IN ('patient', 'provider', 'staff', 'guest')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz,
  CHECK ((user_id IS NULL) <> (guest_id IS NULL))
);
CREATE INDEX visit_tickets_expiry ON visit_tickets (expires_at);

-- In-visit chat. `text` is sealed with context (chat_messages, text, id).
CREATE TABLE chat_messages (
  id              uuid PRIMARY KEY,
  visit_id        uuid NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
  participant_id  text NOT NULL,
  sender_user_id  uuid REFERENCES users (id),
  sender_guest_id uuid REFERENCES visit_guests (id),
  text            bytea NOT NULL,
  sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_visit ON chat_messages (visit_id, sent_at);
