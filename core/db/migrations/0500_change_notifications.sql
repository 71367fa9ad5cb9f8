-- Change notifications: the database announces the changes that per-process
-- caches depend on, whoever made them (any API process, the CLI, an operator in
-- psql). Delivered on commit through NOTIFY bedside_changes; the payload is
-- 'topic:id' and never carries data, only which user or provider changed.
--   auth:<user id>       sessions revoked or ended, role or account state, consent accepted
--   auth:*               a consent document published (every user may owe consent)
--   calendar:<provider>  anything that changes a provider's free slots
CREATE FUNCTION bedside_notify_change(topic text, id text) RETURNS void
LANGUAGE sql AS $$ SELECT pg_notify('bedside_changes', topic || ':' || id) $$;

CREATE FUNCTION bedside_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM bedside_notify_change('auth', OLD.user_id::text);
  ELSIF OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
     OR OLD.user_id IS DISTINCT FROM NEW.user_id OR NEW.last_used_at < OLD.last_used_at THEN
    -- last_used_at moving forward is the once-a-minute touch of an active session: no news.
    PERFORM bedside_notify_change('auth', OLD.user_id::text);
    IF OLD.user_id IS DISTINCT FROM NEW.user_id THEN PERFORM bedside_notify_change('auth', NEW.user_id::text); END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sessions_changed AFTER DELETE OR UPDATE OF revoked_at, expires_at, user_id, last_used_at ON sessions
  FOR EACH ROW EXECUTE FUNCTION bedside_session_changed();

CREATE FUNCTION bedside_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM bedside_notify_change('auth', OLD.id::text);
    PERFORM bedside_notify_change('calendar', OLD.id::text);
  ELSIF OLD.role IS DISTINCT FROM NEW.role OR OLD.disabled_at IS DISTINCT FROM NEW.disabled_at THEN
    PERFORM bedside_notify_change('auth', NEW.id::text);
    -- A disabled or re-roled provider can no longer be booked.
    PERFORM bedside_notify_change('calendar', NEW.id::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER users_changed AFTER DELETE OR UPDATE OF role, disabled_at ON users
  FOR EACH ROW EXECUTE FUNCTION bedside_user_changed();

CREATE FUNCTION bedside_consent_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bedside_notify_change('auth', coalesce(NEW.user_id, OLD.user_id)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER consent_acceptances_changed AFTER INSERT OR UPDATE OR DELETE ON consent_acceptances
  FOR EACH ROW EXECUTE FUNCTION bedside_consent_accepted();

CREATE FUNCTION bedside_consent_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bedside_notify_change('auth', '*');
  RETURN NULL;
END $$;
CREATE TRIGGER consent_documents_changed AFTER INSERT OR UPDATE OR DELETE ON consent_documents
  FOR EACH STATEMENT EXECUTE FUNCTION bedside_consent_published();

-- Every table a provider's free slots are computed from, keyed by provider.
CREATE FUNCTION bedside_calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text := TG_ARGV[0];
  before text := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) ->> col END;
  after text := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) ->> col END;
BEGIN
  IF before IS NOT NULL THEN PERFORM bedside_notify_change('calendar', before); END IF;
  IF after IS NOT NULL AND after IS DISTINCT FROM before THEN PERFORM bedside_notify_change('calendar', after); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER provider_calendars_changed AFTER INSERT OR UPDATE OR DELETE ON provider_calendars
  FOR EACH ROW EXECUTE FUNCTION bedside_calendar_changed('provider_id');
CREATE TRIGGER visit_types_changed AFTER INSERT OR UPDATE OR DELETE ON visit_types
  FOR EACH ROW EXECUTE FUNCTION bedside_calendar_changed('provider_id');
CREATE TRIGGER availability_rules_changed AFTER INSERT OR UPDATE OR DELETE ON availability_rules
  FOR EACH ROW EXECUTE FUNCTION bedside_calendar_changed('provider_id');
CREATE TRIGGER schedule_exceptions_changed AFTER INSERT OR UPDATE OR DELETE ON schedule_exceptions
  FOR EACH ROW EXECUTE FUNCTION bedside_calendar_changed('provider_id');
CREATE TRIGGER appointments_changed AFTER INSERT OR DELETE OR UPDATE OF status, starts_at, ends_at, busy_from, busy_until, provider_id
  ON appointments FOR EACH ROW EXECUTE FUNCTION bedside_calendar_changed('provider_id');
CREATE TRIGGER provider_profiles_changed AFTER INSERT OR DELETE OR UPDATE OF verification_status
  ON provider_profiles FOR EACH ROW EXECUTE FUNCTION bedside_calendar_changed('id');
