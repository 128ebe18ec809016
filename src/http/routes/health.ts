/**
 * `GET /healthz` (the process answers) and `GET /readyz` (it answers with current data:
 * the store answers, the change feed is up, and no tenant state refresh nor the revision
 * poll has been failing for longer than `GATEHOUSE_STALE_AFTER_MS`). Public, so a
 * not-ready answer says why without naming a tenant.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { ServiceError, StoreUnavailableError } from '../../service/index.js'
import { errorResponses } from '../schemas/common.js'

/** Seconds a load balancer is asked to wait before asking again: about one readiness probe period. */
export const READY_RETRY_AFTER_S = 5

const statusSchema = (value: string) => ({
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { type: 'string', enum: [value] } }
}) as const

export async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/healthz', {
    schema: {
      tags: ['metadata'],
      operationId: 'getHealth',
      summary: 'Liveness: the process answers',
      security: [],
      response: { 200: { ...statusSchema('ok'), description: 'alive' }, ...errorResponses() }
    }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    schema: {
      tags: ['metadata'],
      operationId: 'getReadiness',
      summary: 'Readiness: the store answers and the data in memory is current',
      description: '503 `unavailable` with `Retry-After` when the store does not answer, the change feed is down, or a tenant state refresh or ' +
        'the revision poll has kept failing for longer than `GATEHOUSE_STALE_AFTER_MS` (default 30 s): `message` and `details` say which.',
      security: [],
      response: { 200: { ...statusSchema('ready'), description: 'ready to serve' }, ...errorResponses('unavailable') }
    }
  }, async (_request, reply) => {
    try {
      await app.services.ready()
    } catch (err) {
      // Answered here, not by the error handler: its 5xx bodies say nothing of the cause
      // (and log at error level), while a probe's operator needs the reason, and a probe
      // failing every few seconds is not an error of gatehouse's. Only these two kinds
      // carry a message fit for a public answer; anything else is a bug and goes through
      // the error handler.
      if (!(err instanceof StoreUnavailableError) && !(err instanceof ServiceError && err.code === 'unavailable')) throw err
      const body = { code: 'unavailable', message: `not ready: ${err.message.replace(/^not ready: /, '')}`, ...(err instanceof ServiceError && err.details !== undefined ? { details: err.details } : {}) }
      // The schema's 503 is the shared ErrorResponse, which the typed reply does not see.
      return await (reply as FastifyReply).code(503).header('retry-after', String(READY_RETRY_AFTER_S)).type('application/json; charset=utf-8').send(body)
    }
    return { status: 'ready' }
  })
}
