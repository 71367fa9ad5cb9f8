import { auth } from './settings/auth.js'
import { media } from './settings/media.js'
import { messages } from './settings/messages.js'
import { phi } from './settings/phi.js'
import { scheduler } from './settings/scheduler.js'
import { server } from './settings/server.js'
import { signalling } from './settings/signalling.js'
import { stores } from './settings/stores.js'
import { turn } from './settings/turn.js'

/**
 * Every process reads the same configuration. Each area owns one section
 * file under settings/; add a section here and it is validated, typed and
 * documented like the rest.
 */
export const sections = { server, stores, auth, phi, turn, media, scheduler, messages, signalling }
