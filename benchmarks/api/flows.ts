import type { FastifyInstance } from 'fastify'
import { signedUpPatient } from '../../test/server/auth/helpers.js'

/** Registers, verifies and consents a patient through the real routes. */
export async function prepare (app: FastifyInstance, _base: string, email: string, password: string): Promise<void> {
  await signedUpPatient(app, email, password)
}

/** One real sign-in over HTTP; returns the access token. */
export async function signIn (base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/auth/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password })
  })
  if (res.status !== 200) throw new Error(`sign-in ${res.status}`)
  return ((await res.json()) as { accessToken: string }).accessToken
}
