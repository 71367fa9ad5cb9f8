-- Sign-ins sweep throttle rows and MFA challenges that no longer matter, so
-- guessed addresses and abandoned sign-ins do not pile up.
CREATE INDEX auth_throttle_last_failure ON auth_throttle (last_failure_at);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);
