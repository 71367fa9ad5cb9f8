import { Type, type Static } from '@sinclair/typebox'

const closed = { additionalProperties: false } as const

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(), error: Type.String(), message: Type.String(), code: Type.Optional(Type.String())
}, closed)
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorBody]))

export const Uuid = Type.String({ format: 'uuid' })
/**
 * RFC 3339 admits a leap second (:60), which JavaScript's Date cannot read (NaN,
 * then a 500 from PostgreSQL): refused here, once, for every scheduling time.
 */
export const DateTimeString = Type.String({ format: 'date-time', maxLength: 40, pattern: '^(?!.*[Tt ]\\d\\d:\\d\\d:60)' })
const Time = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM wall-clock time in the calendar\'s zone' })
const DateOnly = Type.String({ format: 'date' })
/** Free text a patient or clinician types: PHI, sealed at rest, never logged or echoed in errors. */
export const FreeText = Type.String({ minLength: 1, maxLength: 1000 })
const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' })

export const ProviderParams = Type.Object({ providerId: Uuid }, closed)
export const ProviderItemParams = Type.Object({ providerId: Uuid, id: Uuid }, closed)
export const IdParams = Type.Object({ id: Uuid }, closed)

export const CalendarBody = Type.Object({
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, e.g. Europe/Berlin' }),
  specialty: Type.Union([Type.String({ minLength: 1, maxLength: 80 }), Type.Null()]),
  minNoticeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 43_200 })),
  maxAdvanceDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 730 }))
}, closed)

export const VisitTypeBody = Type.Object({
  code: Code,
  name: Type.String({ minLength: 1, maxLength: 80 }),
  durationMinutes: Type.Integer({ minimum: 5, maximum: 480 }),
  bufferBeforeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
  bufferAfterMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 }))
}, closed)
export const VisitType = Type.Object({
  id: Uuid, code: Type.String(), name: Type.String(), durationMinutes: Type.Integer(),
  bufferBeforeMinutes: Type.Integer(), bufferAfterMinutes: Type.Integer(), active: Type.Boolean()
}, closed)
export const VisitTypePatch = Type.Object({ active: Type.Boolean() }, closed)

export const RuleBody = Type.Object({
  weekday: Type.Integer({ minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' }),
  startTime: Time, endTime: Time,
  validFrom: Type.Optional(Type.Union([DateOnly, Type.Null()])),
  validUntil: Type.Optional(Type.Union([DateOnly, Type.Null()])),
  visitTypeId: Type.Optional(Type.Union([Uuid, Type.Null()]))
}, closed)
export const Rule = Type.Object({
  id: Uuid, weekday: Type.Integer(), startTime: Type.String(), endTime: Type.String(),
  validFrom: Type.Union([Type.String(), Type.Null()]), validUntil: Type.Union([Type.String(), Type.Null()]),
  visitTypeId: Type.Union([Uuid, Type.Null()])
}, closed)

export const ExceptionKind = Type.Union([Type.Literal('leave'), Type.Literal('holiday'), Type.Literal('other')])
export const ExceptionBody = Type.Object({ kind: ExceptionKind, startsAt: DateTimeString, endsAt: DateTimeString }, closed)
export const ScheduleException = Type.Object({
  id: Uuid, kind: ExceptionKind, startsAt: Type.String(), endsAt: Type.String(),
  overlappingVisits: Type.Optional(Type.Integer({ description: 'Active visits already booked inside the new exception: they are not cancelled automatically.' }))
}, closed)

export const CalendarView = Type.Object({
  providerId: Uuid, timeZone: Type.String(), specialty: Type.Union([Type.String(), Type.Null()]),
  minNoticeMinutes: Type.Integer(), maxAdvanceDays: Type.Integer(),
  visitTypes: Type.Array(VisitType), rules: Type.Array(Rule), exceptions: Type.Array(ScheduleException)
}, closed)

export const SlotQuery = Type.Object({
  providerId: Type.Optional(Uuid),
  specialty: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  visitType: Type.Optional(Code),
  visitTypeId: Type.Optional(Uuid),
  from: DateTimeString,
  to: DateTimeString,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' }))
}, closed)
export const SlotPage = Type.Object({
  slots: Type.Array(Type.Object({
    providerId: Uuid, visitTypeId: Uuid, visitType: Type.String(), durationMinutes: Type.Integer(),
    startsAt: Type.String({ description: 'UTC, ISO 8601' }), endsAt: Type.String(), timeZone: Type.String({ description: 'the provider\'s IANA zone' })
  }, closed)),
  nextCursor: Type.Union([Type.String(), Type.Null()])
}, closed)

export const Status = Type.Union([Type.Literal('proposed'), Type.Literal('booked'), Type.Literal('arrived'), Type.Literal('fulfilled'), Type.Literal('cancelled'), Type.Literal('noshow')])
export const Appointment = Type.Object({
  id: Uuid, patientId: Uuid, providerId: Uuid, visitTypeId: Uuid, status: Status,
  startsAt: Type.String(), endsAt: Type.String(), checkedInAt: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(), reason: Type.Optional(Type.String())
}, closed)
export const AppointmentList = Type.Object({ appointments: Type.Array(Appointment) }, closed)

export const BookBody = Type.Object({
  providerId: Uuid, visitTypeId: Uuid, startsAt: DateTimeString,
  patientId: Type.Optional(Uuid),
  reason: Type.Optional(FreeText),
  status: Type.Optional(Type.Union([Type.Literal('booked'), Type.Literal('proposed')]))
}, closed)
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }))
})
export const CancelBody = Type.Object({ reason: Type.Optional(FreeText) }, closed)
export const RescheduleBody = Type.Object({ startsAt: DateTimeString, visitTypeId: Type.Optional(Uuid), reason: Type.Optional(FreeText) }, closed)
export const StatusBody = Type.Object({
  status: Type.Union([Type.Literal('booked'), Type.Literal('fulfilled'), Type.Literal('noshow')])
}, closed)
export const ListQuery = Type.Object({
  patientId: Type.Optional(Uuid), providerId: Type.Optional(Uuid),
  from: Type.Optional(DateTimeString), to: Type.Optional(DateTimeString),
  status: Type.Optional(Type.Array(Status, { maxItems: 6 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 }))
}, closed)
export const WaitingQuery = Type.Object({ providerId: Type.Optional(Uuid) }, closed)
export const WaitingList = Type.Object({
  waiting: Type.Array(Type.Object({
    appointmentId: Uuid, patientId: Uuid, providerId: Uuid, startsAt: Type.String(), checkedInAt: Type.String()
  }, closed))
}, closed)

export const FeedQuery = Type.Object({ token: Type.String({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }) }, closed)
export const FeedIssued = Type.Object({ url: Type.String(), note: Type.String() }, closed)
export const NoContent = Type.Null({ description: 'No content' })

export const ChannelPref = Type.Object({ optedOut: Type.Boolean() }, closed)
export const PreferencesBody = Type.Object({
  email: Type.Optional(ChannelPref),
  sms: Type.Optional(Type.Object({
    optedOut: Type.Boolean(),
    phone: Type.Optional(Type.Union([Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164' }), Type.Null()]))
  }, closed))
}, closed)
export const Preferences = Type.Object({
  email: Type.Object({ optedOut: Type.Boolean() }, closed),
  sms: Type.Object({ optedOut: Type.Boolean(), phoneOnFile: Type.Boolean() }, closed)
}, closed)
export const ReminderStatusList = Type.Object({
  reminders: Type.Array(Type.Object({
    channel: Type.String(), status: Type.String(), attempts: Type.Integer(), dueAt: Type.String(), sentAt: Type.Union([Type.String(), Type.Null()])
  }, closed))
}, closed)

export type SlotQueryT = Static<typeof SlotQuery>
