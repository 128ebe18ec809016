/**
 * The ceiling of the HTTP benchmark: a bare Fastify route on `POST /access/v1/evaluation`
 * that validates gatehouse's own AuthZEN body schema (same ajv options) and serializes
 * gatehouse's response schema, answering one constant decision (`BARE_ANSWER`). No authentication, no
 * logger. Listens on `PORT` at 127.0.0.1; `GET /healthz` answers when ready. With
 * `BUSY_US`, it spins that many µs per request first: the benchmark's calibration row.
 */
import Fastify from 'fastify'
import { evaluationBodySchema, evaluationResponseSchema } from '../../../src/http/schemas/authzen.js'

const app = Fastify({
  logger: false,
  ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false, useDefaults: false } }
})

/** Busy work per request, in ms: what a little extra CPU costs the route on the machine in use. */
const BUSY_MS = Number(process.env.BUSY_US ?? '0') / 1000

/**
 * The answer to every request: `BARE_ANSWER` (JSON), which the benchmark sets to one of
 * gatehouse's own answers of median length, so that both routes serialize and send as
 * many bytes; else a short allow.
 */
const SHORT_ALLOW = {
  decision: true,
  context: { reason: { code: 'role_grant', message: 'role `manager` grants `view` on `jobs` to `u00001`' }, revision: 1 }
}
const decision: unknown = process.env.BARE_ANSWER === undefined ? SHORT_ALLOW : JSON.parse(process.env.BARE_ANSWER)

app.get('/healthz', async () => ({ status: 'ok' }))
app.post('/access/v1/evaluation', {
  schema: { body: evaluationBodySchema, response: { 200: evaluationResponseSchema } }
}, async () => {
  if (BUSY_MS > 0) {
    const until = performance.now() + BUSY_MS
    while (performance.now() < until) { /* spin */ }
  }
  return decision
})

const port = Number(process.env.PORT ?? '0')
await app.listen({ port, host: '127.0.0.1' })
const close = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
process.once('SIGTERM', close)
process.once('SIGINT', close)
