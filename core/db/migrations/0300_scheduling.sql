-- Scheduling: provider calendars, appointments, reminder preferences, calendar feeds.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- One calendar per provider. Times of its rules are wall-clock times in time_zone.
CREATE TABLE provider_calendars (
  provider_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  time_zone           text NOT NULL,
  specialty           text,
  min_notice_minutes  integer NOT NULL CHECK (min_notice_minutes >= 0),
  max_advance_days    integer NOT NULL CHECK (max_advance_days >= 1),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_calendars_specialty ON provider_calendars (specialty);

CREATE TABLE visit_types (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id            uuid NOT NULL REFERENCES provider_calendars (provider_id) ON DELETE CASCADE,
  code                   text NOT NULL,
  name                   text NOT NULL,
  duration_minutes       integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
  buffer_before_minutes  integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 120),
  buffer_after_minutes   integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 120),
  active                 boolean NOT NULL DEFAULT true,
  UNIQUE (provider_id, code)
);

-- Weekly availability: weekday 1 = Monday (ISO, as luxon).
CREATE TABLE availability_rules (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id   uuid NOT NULL REFERENCES provider_calendars (provider_id) ON DELETE CASCADE,
  weekday       smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_time    time NOT NULL,
  end_time      time NOT NULL CHECK (end_time > start_time),
  valid_from    date,
  valid_until   date,
  visit_type_id uuid REFERENCES visit_types (id) ON DELETE CASCADE
);
CREATE INDEX availability_rules_provider ON availability_rules (provider_id);

-- Leave, holidays: time taken out of the weekly rules.
CREATE TABLE schedule_exceptions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id  uuid NOT NULL REFERENCES provider_calendars (provider_id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('leave', 'holiday', 'other')),
  starts_at    timestamptz NOT NULL,
  ends_at      timestamptz NOT NULL CHECK (ends_at > starts_at)
);
CREATE INDEX schedule_exceptions_provider ON schedule_exceptions USING gist (provider_id, tstzrange(starts_at, ends_at));

-- Statuses are FHIR Appointment statuses. busy_* widen the visit by its
-- buffers: that is the provider's time the visit takes.
CREATE TABLE appointments (
  id                   uuid PRIMARY KEY,
  patient_id           uuid NOT NULL REFERENCES users (id),
  provider_id          uuid NOT NULL REFERENCES users (id),
  visit_type_id        uuid NOT NULL REFERENCES visit_types (id),
  status               text NOT NULL CHECK (status IN ('proposed', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
  starts_at            timestamptz NOT NULL,
  ends_at              timestamptz NOT NULL CHECK (ends_at > starts_at),
  busy_from            timestamptz NOT NULL CHECK (busy_from <= starts_at),
  busy_until           timestamptz NOT NULL CHECK (busy_until >= ends_at),
  reason_sealed        bytea,
  booked_by            uuid NOT NULL REFERENCES users (id),
  idempotency_key      text,
  request_hash         bytea,
  checked_in_at        timestamptz,
  cancelled_by         uuid REFERENCES users (id),
  cancelled_at         timestamptz,
  cancel_reason_sealed bytea,
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (booked_by, idempotency_key),
  -- The database, not the application, guarantees no double booking: no two
  -- active visits of one provider overlap (buffers included), nor of one patient.
  CONSTRAINT appointments_provider_no_overlap EXCLUDE USING gist
    (provider_id WITH =, tstzrange(busy_from, busy_until, '[)') WITH &&)
    WHERE (status IN ('proposed', 'booked', 'arrived', 'fulfilled')),
  CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist
    (patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('proposed', 'booked', 'arrived', 'fulfilled'))
);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_provider_time ON appointments (provider_id, starts_at);

-- Per user, per channel reminder choices. No row: reminders on (where a contact exists).
-- to_sealed is bound to id (the key rotation engine's naming rule).
CREATE TABLE reminder_preferences (
  id          uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
  opted_out   boolean NOT NULL DEFAULT false,
  to_sealed   bytea,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, channel)
);

-- Secret iCal feed per provider: only the token's SHA-256 is stored.
CREATE TABLE calendar_feeds (
  provider_id  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

-- Reminders of one appointment are found by their dedupe key prefix.
CREATE INDEX outbox_dedupe_prefix ON outbox (dedupe_key text_pattern_ops) WHERE status IN ('pending', 'sending');
