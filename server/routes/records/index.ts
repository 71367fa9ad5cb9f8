import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import phiVault from '../../phi/plugin.js'
import alertRoutes from './alerts.js'
import breakGlassReviewRoutes from './break-glass-review.js'
import erasureRoutes from './erasure.js'
import exportRoutes from './export.js'
import patientRoutes from './patients.js'
import providerRoutes from './providers.js'

/**
 * PHI records: patient and provider profiles, export, break-glass and its
 * review, erasure, alerts. Not encapsulated, so `f.phiVault` is there for every feature that
 * stores PHI (visit reasons, notes, chat).
 */
export default fp(async function records (f: FastifyInstance) {
  await f.register(phiVault)
  await f.register(patientRoutes)
  await f.register(exportRoutes)
  await f.register(erasureRoutes)
  await f.register(providerRoutes)
  await f.register(alertRoutes)
  await f.register(breakGlassReviewRoutes)
}, { name: 'records', dependencies: ['services'] })
