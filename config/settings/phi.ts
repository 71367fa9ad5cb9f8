import { Type } from '@sinclair/typebox'
import { optional } from '../define.js'

export const phi = {
  keyringFile: optional('PHI_KEYRING_FILE', Type.String({ minLength: 1 }),
    'JSON keyring for PHI encryption: {"active":"<id>","keys":{"<id>":"<base64 32 bytes>"},"indexKey":"<base64 32 bytes>"}. Unset in development: generated under DATA_DIR. Never store it in the database.')
}
