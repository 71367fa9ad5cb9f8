import { Type } from '@sinclair/typebox'
import { parseBool, parseList, setting } from '../define.js'

const minutes = (max: number) => Type.Integer({ minimum: 0, maximum: max })
const parseMinutesList = (raw: string): unknown => parseList(raw).map((v) => (/^\d+$/.test(v) ? Number(v) : v))

export const scheduler = {
  patientCancelCutoff: setting('SCHEDULER_PATIENT_CANCEL_CUTOFF_MINUTES', minutes(14 * 1440), 1440,
    'Patients may cancel or reschedule until this many minutes before the start; providers and staff any time (with a reason).'),
  checkInOpens: setting('SCHEDULER_CHECK_IN_OPENS_MINUTES', minutes(240), 15,
    'A patient may check in to the waiting room from this many minutes before the start until the end.'),
  defaultMinNotice: setting('SCHEDULER_DEFAULT_MIN_NOTICE_MINUTES', minutes(30 * 1440), 60,
    'Earliest booking: a slot must start at least this many minutes from now (a provider calendar may override).'),
  defaultMaxAdvance: setting('SCHEDULER_DEFAULT_MAX_ADVANCE_DAYS', Type.Integer({ minimum: 1, maximum: 730 }), 90,
    'Latest booking: a slot may start at most this many days ahead (a provider calendar may override).'),
  searchMaxDays: setting('SCHEDULER_SEARCH_MAX_DAYS', Type.Integer({ minimum: 1, maximum: 92 }), 31,
    'Longest date range one slot search may cover.'),
  searchMaxProviders: setting('SCHEDULER_SEARCH_MAX_PROVIDERS', Type.Integer({ minimum: 1, maximum: 1000 }), 100,
    'Most provider calendars one slot search looks at (a search by specialty narrows it).'),
  publicSlotSearch: setting('SCHEDULER_PUBLIC_SLOT_SEARCH', Type.Boolean(), false,
    'Let anyone search free slots without signing in (for a hospital that publishes availability on its website). Slots name no patient; booking always needs an account.', { parse: parseBool }),
  slotCacheMs: setting('SCHEDULER_SLOT_CACHE_MS', Type.Integer({ minimum: 0, maximum: 60_000 }), 2000,
    'Slot searches are cached in-process this long; writes in this process clear it at once. A slot stale in another process only costs a 409 at booking. 0: no cache.'),
  reminderOffsets: setting('SCHEDULER_REMINDER_OFFSETS_MINUTES', Type.Array(Type.Integer({ minimum: 1, maximum: 30 * 1440 }), { maxItems: 10 }),
    [1440, 60], 'Reminders go out this many minutes before each visit (comma list), delivered by the message worker (MESSAGE_WORKER). Empty: no reminders.', { parse: parseMinutesList })
}
