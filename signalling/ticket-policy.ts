import type { AuthUser } from '../core/access.js'
import type { Queryable } from '../core/db/db.js'
import { Conflict, NotFound } from '../core/errors.js'
import { findAppointment, isOpenForVisit, type AppointmentRef } from './appointments.js'

export interface JoinWindow { earlyMinutes: number; lateMinutes: number }

/**
 * Who may hold a ticket for an appointment's visit: its patient, its
 * provider, or staff; only while the appointment is open and near its time.
 * Someone else's appointment answers exactly like a missing one (404), so
 * ids cannot be probed.
 */
export async function authoriseVisitTicket (
  db: Queryable, user: AuthUser, appointmentId: string, window: JoinWindow, now = Date.now()
): Promise<{ appointment: AppointmentRef; role: 'patient' | 'provider' | 'staff' }> {
  const appointment = await findAppointment(db, appointmentId)
  const role = appointment ? roleIn(user, appointment) : null
  if (!appointment || !role) throw new NotFound('Appointment')
  assertJoinable(appointment, window, now)
  return { appointment, role }
}

export function assertOpen (a: AppointmentRef): void {
  if (!isOpenForVisit(a)) throw new Conflict('This appointment is not open for a visit')
}

export function assertJoinable (a: AppointmentRef, window: JoinWindow, now = Date.now()): void {
  assertOpen(a)
  const opens = a.startsAt.getTime() - window.earlyMinutes * 60_000
  const closes = a.endsAt.getTime() + window.lateMinutes * 60_000
  if (now < opens) throw new Conflict('The visit opens closer to the appointment time')
  if (now > closes) throw new Conflict('The visit window for this appointment has passed')
}

function roleIn (user: AuthUser, a: AppointmentRef): 'patient' | 'provider' | 'staff' | null {
  if (user.role === 'patient') return a.patientId === user.id ? 'patient' : null
  if (user.role === 'provider') return a.providerId === user.id ? 'provider' : null
  if (user.role === 'staff') return 'staff'
  return null
}

/** Hosts (who may invite guests): the appointment's provider, or staff. */
export function isVisitHost (user: AuthUser, a: AppointmentRef): boolean {
  return (user.role === 'provider' && a.providerId === user.id) || user.role === 'staff'
}
