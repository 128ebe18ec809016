/** `GET /healthz` (the process answers) and `GET /readyz` (the store answers too). Public. */
import type { FastifyInstance } from 'fastify'
import { errorResponses } from '../schemas/common.js'

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
      summary: 'Readiness: the store answers',
      security: [],
      response: { 200: { ...statusSchema('ready'), description: 'ready to serve' }, ...errorResponses('unavailable') }
    }
  }, async () => {
    await app.services.ready()
    return { status: 'ready' }
  })
}
