import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createPhiVault, type PhiVault } from '../../core/crypto/vault.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Seals and opens PHI with per-patient data keys; every PHI column goes through it. */
    phiVault: PhiVault
  }
}

export default fp(async function phiVault (f: FastifyInstance) {
  if (f.hasDecorator('phiVault')) return
  f.decorate('phiVault', createPhiVault(f.db, f.phi, { cacheTtlMs: f.config.phi.keyCacheSeconds * 1000 }))
}, { name: 'phi-vault', dependencies: ['services'] })
