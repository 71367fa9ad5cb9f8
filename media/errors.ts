import createError from '@fastify/error'

// Messages carry ids only: media ids are random and say nothing about a patient.
export const MediaRoomNotFound = createError('BDS_ERR_MEDIA_ROOM_NOT_FOUND', "Media room '%s' not found", 404)
export const MediaParticipantNotFound = createError('BDS_ERR_MEDIA_PARTICIPANT_NOT_FOUND', "Participant '%s' is not in this media room", 404)
export const MediaObjectNotFound = createError('BDS_ERR_MEDIA_NOT_FOUND', "No %s '%s' for this participant", 404)
export const MediaBadRequest = createError('BDS_ERR_MEDIA_BAD_REQUEST', 'Invalid media request: %s', 400)
export const MediaEngineUnavailable = createError('BDS_ERR_MEDIA_ENGINE_UNAVAILABLE', 'Media engine unavailable: %s', 503)
