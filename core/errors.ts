import createError from '@fastify/error'

/**
 * Bedside's HTTP errors, one place, codes by area. Messages never carry PHI:
 * they may name a field or an id, never a value a patient typed.
 */
export const Unauthorized = createError('BDS_ERR_UNAUTHORIZED', 'Authentication required', 401)
export const InvalidToken = createError('BDS_ERR_INVALID_TOKEN', 'The access token is invalid or expired', 401)
export const Forbidden = createError('BDS_ERR_FORBIDDEN', 'Your role may not do this', 403)
export const MfaRequired = createError('BDS_ERR_MFA_REQUIRED', 'Multi-factor authentication is required for this account before it can do this', 403)
export const ConsentRequired = createError('BDS_ERR_CONSENT_REQUIRED', 'Accept the current %s before continuing', 403)
export const NotFound = createError('BDS_ERR_NOT_FOUND', '%s not found', 404)
export const Conflict = createError('BDS_ERR_CONFLICT', '%s', 409)
export const Unprocessable = createError('BDS_ERR_UNPROCESSABLE', '%s', 422)
export const BadRequest = createError('BDS_ERR_BAD_REQUEST', '%s', 400)
export const TooManyRequests = createError('BDS_ERR_TOO_MANY_REQUESTS', '%s', 429)
