/**
 * The ceiling of the HTTP benchmark: a bare Fastify route on `POST /access/v1/evaluation`
 * that validates gatehouse's own AuthZEN body schema (same ajv options) and serializes
 * gatehouse's response schema, answering a constant decision. No authentication, no
 * logger. Listens on `PORT` at 127.0.0.1; `GET /healthz` answers when ready.
 */
import Fastify from 'fastify'
import { evaluationBodySchema, evaluationResponseSchema } from '../../../src/http/schemas/authzen.js'

const app = Fastify({
  logger: false,
  ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false, useDefaults: false } }
})

const decision = {
  decision: true,
  context: { reason: { code: 'role_grant', message: 'role `manager` grants `view` on `jobs` to `u00001`' }, revision: 1 }
}

app.get('/healthz', async () => ({ status: 'ok' }))
app.post('/access/v1/evaluation', {
  schema: { body: evaluationBodySchema, response: { 200: evaluationResponseSchema } }
}, async () => decision)

const port = Number(process.env.PORT ?? '0')
await app.listen({ port, host: '127.0.0.1' })
const close = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
process.once('SIGTERM', close)
process.once('SIGINT', close)
