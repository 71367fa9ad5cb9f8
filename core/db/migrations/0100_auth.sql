-- Accounts and sign-in: single-use mailed tokens, MFA, throttling, consent.
-- Every token is stored only as its SHA-256: a database dump signs nobody in.

-- Invitation (admin invites provider/staff/admin) and email verification tokens.
CREATE TABLE auth_tokens (
  token_hash  bytea PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('invitation', 'verification')),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id, kind) WHERE used_at IS NULL;

-- Between a correct password and the TOTP/recovery step of a sign-in.
CREATE TABLE mfa_challenges (
  token_hash  bytea PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  attempts    integer NOT NULL DEFAULT 0,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  user_agent  text,
  ip          text
);

CREATE TABLE mfa_recovery_codes (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash  bytea NOT NULL,
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Failed sign-ins per key ('acct:<email blind index>' or 'ip:<address>'), for
-- growing delays. Keyed by the blind index so unknown accounts throttle alike.
CREATE TABLE auth_throttle (
  key              text PRIMARY KEY,
  failures         integer NOT NULL,
  last_failure_at  timestamptz NOT NULL DEFAULT now()
);

-- Versioned documents a user must accept; `roles` says who must.
CREATE TABLE consent_documents (
  kind          text NOT NULL CHECK (kind IN ('terms', 'privacy', 'telehealth-consent')),
  version       integer NOT NULL CHECK (version > 0),
  title         text NOT NULL,
  body          text NOT NULL,
  roles         text[] NOT NULL,
  published_at  timestamptz NOT NULL DEFAULT now(),
  published_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  PRIMARY KEY (kind, version)
);

CREATE TABLE consent_acceptances (
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         text NOT NULL,
  version      integer NOT NULL,
  accepted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind, version),
  FOREIGN KEY (kind, version) REFERENCES consent_documents (kind, version)
);

INSERT INTO consent_documents (kind, version, title, body, roles) VALUES
  ('terms', 1, 'Terms of use',
   'Placeholder terms of use. The operator publishes its own text as version 2 before going live.',
   ARRAY['patient', 'provider', 'staff', 'admin']),
  ('privacy', 1, 'Privacy notice',
   'Placeholder privacy notice. The operator publishes its own text as version 2 before going live.',
   ARRAY['patient', 'provider', 'staff', 'admin']),
  ('telehealth-consent', 1, 'Consent to telehealth',
   'Placeholder telehealth consent. The operator publishes its own text as version 2 before going live.',
   ARRAY['patient']);
