import type { MessageTemplate } from '../../core/messages/template.js'

/** The admin alerts server/phi queues (notifyAdmins); the template name is the row's `template`. */
export const ALERT_KINDS = ['phi-break-glass', 'phi-unusual-access', 'phi-undecryptable'] as const
export type AlertKind = typeof ALERT_KINDS[number]

const WORDING: Record<AlertKind, { subject: string; what: string; where: string }> = {
  'phi-break-glass': {
    subject: 'Break-glass access to review',
    what: 'A clinician opened a patient record outside their care relationships (break-glass), giving a reason.',
    where: 'Review it under break-glass review (GET /records/break-glass) and record whether it was justified.'
  },
  'phi-unusual-access': {
    subject: 'Unusual record access',
    what: 'A user opened more patient records in a short time than the hospital\'s threshold allows.',
    where: 'See the alert queue (GET /records/alerts) and the audit log for who and when.'
  },
  'phi-undecryptable': {
    subject: 'A protected value could not be decrypted',
    what: 'A stored protected health value failed its integrity check or its key is missing. This may mean tampering or a lost key.',
    where: 'See the alert queue (GET /records/alerts); the audit log names the table and column.'
  }
}

/**
 * Alerts leave the hospital's systems by email, so they say what happened and
 * where to look, never who or which patient: the admin signs in to see that.
 */
export function alertTemplates (publicUrl: string): Readonly<Record<AlertKind, MessageTemplate>> {
  const signIn = publicUrl.replace(/\/$/, '') + '/'
  const template = (kind: AlertKind): MessageTemplate => ({
    render (row) {
      if (row.channel !== 'email') return null
      const w = WORDING[kind]
      return {
        subject: `Bedside: ${w.subject}`,
        text: ['Hello,', w.what, `${w.where} Sign in: ${signIn}`,
          'This message was sent automatically by Bedside to its administrators. Replies to it are not read.'].join('\n\n')
      }
    }
  })
  return Object.fromEntries(ALERT_KINDS.map((k) => [k, template(k)])) as Record<AlertKind, MessageTemplate>
}
