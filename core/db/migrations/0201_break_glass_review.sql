-- A privacy officer (admin) reviews every break-glass access after the fact:
-- justified or not, with a sealed note. The grant itself stays as it was.
ALTER TABLE break_glass_grants
  ADD COLUMN reviewed_at   timestamptz,
  ADD COLUMN reviewed_by   uuid REFERENCES users (id),
  ADD COLUMN review_outcome text CHECK (review_outcome IN ('justified', 'unjustified')),
  ADD COLUMN review_note_sealed bytea,
  ADD CONSTRAINT break_glass_review_complete CHECK ((reviewed_at IS NULL) = (review_outcome IS NULL) AND (reviewed_at IS NULL) = (reviewed_by IS NULL));
CREATE INDEX break_glass_grants_unreviewed ON break_glass_grants (created_at) WHERE reviewed_at IS NULL;
