import type { MessageTemplate, RenderedMessage } from '../../core/messages/template.js'
import { paramsOf } from '../../core/messages/template.js'
import { NOTICE_PURPOSES, type NoticePurpose } from './notifier.js'
import { NoticeParams, openLink } from './outbox-notifier.js'

/**
 * The wording of each account message. Mail leaves the hospital's systems and
 * may be read by whoever shares the mailbox, so it names no person, clinician
 * or visit: it says only that it concerns a Bedside account. Some exist to
 * carry a link with a single-use token (in its #fragment); the others carry
 * at most a plain sign-in link.
 */
type Wording =
  | { subject: string; link: 'required'; body: (link: string) => string[] }
  | { subject: string; link: 'optional'; body: (link?: string) => string[] }

const expires = (renew: string) =>
  `For your security, the link works only once and expires after a limited time. If it has expired, ${renew}.`
const signInLine = (link?: string) => (link ? [`Sign in: ${link}`] : [])

const WORDING: Record<NoticePurpose, Wording> = {
  'verify-email': {
    subject: 'Confirm your email address',
    link: 'required',
    body: (link) => [
      'Please confirm the email address of your Bedside account by opening this link:',
      link,
      expires('you can ask for a new one on the sign-in page'),
      'If you did not create a Bedside account, you can ignore this message.'
    ]
  },
  invitation: {
    subject: 'You have been invited to Bedside',
    link: 'required',
    body: (link) => [
      'You have been invited to Bedside, the hospital\'s video visit service. To accept, open this link and choose a password:',
      link,
      expires('please ask the hospital for a new invitation'),
      'If you did not expect this invitation, you can ignore this message.'
    ]
  },
  'password-reset': {
    subject: 'Reset your password',
    link: 'required',
    body: (link) => [
      'We received a request to reset the password of your Bedside account. To choose a new password, open this link:',
      link,
      expires('you can ask for a new one on the sign-in page'),
      'If you did not ask for this, you can ignore this message: your password has not been changed.'
    ]
  },
  'registration-attempt': {
    subject: 'Someone tried to register with your email address',
    link: 'optional',
    body: (link) => [
      'Someone tried to create a new Bedside account with this email address, which already has an account. Your account has not been changed.',
      'If it was you, please sign in instead; if you have forgotten your password, choose "Forgot password" on the sign-in page.',
      ...signInLine(link),
      'If it was not you, you can ignore this message.'
    ]
  },
  'account-locked': {
    subject: 'Your Bedside account has been locked',
    link: 'optional',
    body: (link) => [
      'Your Bedside account has been locked after too many unsuccessful sign-in attempts. It unlocks by itself after a while; the hospital can unlock it sooner.',
      'If you did not try to sign in, please contact the hospital: someone may be trying to guess your password.',
      ...signInLine(link)
    ]
  },
  'mfa-disabled': {
    subject: 'Two-step verification was turned off',
    link: 'optional',
    body: (link) => [
      'Two-step verification (sign-in codes from an authenticator app) was turned off for your Bedside account.',
      'If this was you, no action is needed. If it was not you, please contact the hospital at once.',
      ...signInLine(link)
    ]
  },
  'password-changed': {
    subject: 'Your password was changed',
    link: 'optional',
    body: (link) => [
      'The password of your Bedside account was changed, and your other devices were signed out.',
      'If this was you, no action is needed. If it was not you, please contact the hospital at once.',
      ...signInLine(link)
    ]
  }
}

const FOOTER = 'This message was sent automatically by Bedside. Replies to it are not read.'

/** The message of one purpose and link, or null when a purpose that exists to carry a link has none. */
export function renderNotice (purpose: NoticePurpose, link: string | undefined): RenderedMessage | null {
  const w = WORDING[purpose]
  let body: string[]
  if (w.link === 'required') {
    if (!link) return null
    body = w.body(link)
  } else {
    body = w.body(link)
  }
  return { subject: w.subject, text: ['Hello,', ...body, FOOTER].join('\n\n') }
}

/** An outbox template per notice purpose, for the message worker. Account notices go by email only. */
function noticeTemplate (purpose: NoticePurpose): MessageTemplate {
  return {
    render (row, phi) {
      const params = paramsOf(NoticeParams, row)
      if (!params || row.channel !== 'email') return null
      return renderNotice(purpose, openLink(phi, { id: row.id, params }))
    }
  }
}

export const accountTemplates = Object.fromEntries(
  NOTICE_PURPOSES.map((p) => [p, noticeTemplate(p)])) as Readonly<Record<NoticePurpose, MessageTemplate>>
