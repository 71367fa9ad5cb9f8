import { Type } from '@sinclair/typebox'
import { optional, setting } from '../define.js'

export const phi = {
  keyringFile: optional('PHI_KEYRING_FILE', Type.String({ minLength: 1 }),
    'JSON keyring for PHI encryption: {"active":"<id>","keys":{"<id>":"<base64 32 bytes>"},"indexKey":"<base64 32 bytes>"}. Key-encryption keys by version; `bedside keys new` adds one; `bedside keys index-new` replaces the index key (the old one listed in "retiredIndexKeys" until `keys index-rotate` finishes). Unset in development: generated under DATA_DIR. Never store it in the database.'),
  accessAlertThreshold: setting('PHI_ACCESS_ALERT_THRESHOLD', Type.Integer({ minimum: 1 }), 30,
    'A user reading more distinct patients than this within PHI_ACCESS_ALERT_WINDOW raises an unusual-access alert to admins.'),
  accessAlertWindow: setting('PHI_ACCESS_ALERT_WINDOW', Type.Integer({ minimum: 60 }), 3600,
    'Window in seconds for PHI_ACCESS_ALERT_THRESHOLD.'),
  breakGlassMinutes: setting('PHI_BREAK_GLASS_MINUTES', Type.Integer({ minimum: 1, maximum: 1440 }), 60,
    'How long a break-glass grant (access outside a care relationship, with a reason) lasts.'),
  retentionDays: setting('PHI_RETENTION_DAYS', Type.Integer({ minimum: 0 }), 0,
    'Days a patient\'s record must be kept after their last appointment before an admin may erase it (set to your jurisdiction\'s medical-records retention).'),
  keyCacheSeconds: setting('PHI_KEY_CACHE_SECONDS', Type.Integer({ minimum: 0, maximum: 3600 }), 30,
    'How long an unwrapped patient data key stays in memory; bounds how late another API process notices an erasure.')
}
