-- Accounts. The email is PHI-grade personal data: stored sealed (AES-GCM) with a
-- keyed blind index for sign-in lookups, never in plaintext.
CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  role                text NOT NULL CHECK (role IN ('patient', 'provider', 'staff', 'admin')),
  email_index         bytea NOT NULL UNIQUE,
  email_sealed        bytea NOT NULL,
  email_verified_at   timestamptz,
  password_hash       text,
  mfa_secret_sealed   bytea,
  mfa_enabled_at      timestamptz,
  mfa_last_step       bigint,
  failed_logins       integer NOT NULL DEFAULT 0,
  locked_until        timestamptz,
  disabled_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- A session is one signed-in device. Refresh tokens rotate inside a family;
-- presenting a superseded one revokes the whole family.
CREATE TABLE sessions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_hash    bytea NOT NULL UNIQUE,
  generation      integer NOT NULL DEFAULT 1,
  mfa             boolean NOT NULL DEFAULT false,
  user_agent      text,
  ip              text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  revoked_at      timestamptz,
  revoked_reason  text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens a session has used up; reuse of one means theft.
CREATE TABLE refresh_history (
  refresh_hash bytea PRIMARY KEY,
  session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  used_at      timestamptz NOT NULL DEFAULT now()
);

-- Messages to users (verification, invitations, reminders) wait here for a
-- transport. The body holds no PHI: a purpose and a link.
CREATE TABLE outbox (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  to_sealed    bytea NOT NULL,
  template     text NOT NULL,
  params       jsonb NOT NULL DEFAULT '{}'::jsonb,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
  attempts     integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error   text,
  dedupe_key   text UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
