import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../core/db/db.js'
import type { MediaEngine, MediaEvent } from '../media/engine.js'
import type { Participant } from './participant.js'
import type { IceServerOut } from './protocol.js'
import { newToken, tokenHash } from './secret-token.js'
import { onMediaEvent } from './visit-media.js'
import { openVisitRow } from './visits-repo.js'
import { createVisit, type Visit, type VisitDeps } from './visit.js'

const RESTART_ATTEMPTS = 30
const RESTART_DELAY_MS = 1000

export interface RegistryDeps {
  db: Db
  engine: () => Promise<MediaEngine>
  iceServers: (participantId: string, ttlSeconds: number) => IceServerOut[]
  settings: VisitDeps['settings']
  log: FastifyBaseLogger
}

/**
 * The visits live in this process, by appointment and by visit id, and the
 * resume tokens that lead back into them. One API process holds a visit; a
 * Redis-backed router for several processes would wrap this (see STYLE.md).
 */
export function createVisitRegistry (deps: RegistryDeps) {
  const byAppointment = new Map<string, Visit>()
  const byId = new Map<string, Visit>()
  const opening = new Map<string, Promise<Visit>>()
  const resumes = new Map<string, { visit: Visit; participant: Participant }>()

  const resume: VisitDeps['resume'] = {
    issue (visit, p) {
      if (p.resumeHash) resumes.delete(p.resumeHash)
      const token = newToken('rt')
      p.resumeHash = tokenHash(token).toString('hex')
      resumes.set(p.resumeHash, { visit, participant: p })
      return token
    },
    forget (p) {
      if (p.resumeHash) resumes.delete(p.resumeHash)
      p.resumeHash = null
    }
  }

  const onEmpty = (v: Visit) => {
    if (byAppointment.get(v.appointmentId) === v) byAppointment.delete(v.appointmentId)
    if (byId.get(v.id) === v) byId.delete(v.id)
  }

  const open = async (appointmentId: string): Promise<Visit> => {
    const row = await openVisitRow(deps.db, appointmentId)
    const v = createVisit(row.id, appointmentId, row.patientId, { ...deps, resume, onEmpty })
    byAppointment.set(appointmentId, v)
    byId.set(v.id, v)
    return v
  }

  // A lost room comes back when a node takes it; with none live yet, keep trying for a while (a node restarting).
  const restartMedia = async (v: Visit): Promise<void> => {
    for (let attempt = 1; !v.closed && !v.ended; attempt++) {
      try {
        await v.restartMedia()
        deps.log.warn({ visitId: v.id, attempt }, 'visit media lost with its media node; reopened, participants rebuild')
        return
      } catch (err) {
        if (attempt >= RESTART_ATTEMPTS) {
          deps.log.error({ visitId: v.id, err: (err as Error).message }, 'visit media lost and no media node took it')
          return
        }
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS))
      }
    }
  }

  return {
    /** The live visit of an appointment, opened on first use. Concurrent first joins share one. */
    async visitFor (appointmentId: string): Promise<Visit> {
      const live = byAppointment.get(appointmentId)
      if (live && !live.closed) return live
      let pending = opening.get(appointmentId)
      if (!pending) {
        pending = open(appointmentId).finally(() => opening.delete(appointmentId))
        opening.set(appointmentId, pending)
      }
      return pending
    },
    byVisitId: (visitId: string) => byId.get(visitId),
    /** Single use: the token is spent here; a successful resume hands out the next one. */
    takeResume (token: string): { visit: Visit; participant: Participant } | null {
      const key = tokenHash(token).toString('hex')
      const hit = resumes.get(key)
      if (!hit) return null
      resumes.delete(key)
      hit.participant.resumeHash = null
      return hit
    },
    handleMediaEvent (e: MediaEvent): void {
      const v = byId.get(e.visitId)
      if (!v) return
      if (e.type === 'roomLost') { void restartMedia(v); return }
      onMediaEvent(v, e)
    },
    get visits () { return byId.size },
    async shutdown (): Promise<void> {
      await Promise.all([...byId.values()].map((v) => v.shutdown()))
    }
  }
}
export type VisitRegistry = ReturnType<typeof createVisitRegistry>
