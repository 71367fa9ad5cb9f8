import createError from '@fastify/error'

/** Record-level PHI errors. Messages name what happened, never a value. */
export const NoCareRelationship = createError('BDS_ERR_NO_CARE_RELATIONSHIP',
  'You have no care relationship with this patient. In an emergency, open the record with break-glass and a reason', 403)
export const RecordUndecryptable = createError('BDS_ERR_PHI_UNDECRYPTABLE',
  'This record could not be decrypted (field %s). The incident was reported to the administrators', 422)
export const RecordErased = createError('BDS_ERR_PHI_ERASED', 'This record was erased', 410)
export const RetentionHold = createError('BDS_ERR_RETENTION_HOLD', 'This record must be kept until %s (retention rules)', 409)
export const ProviderNotVerified = createError('BDS_ERR_PROVIDER_NOT_VERIFIED',
  'Your provider identity is not verified (or the verification was revoked); patient records stay closed until an admin verifies it', 403)
