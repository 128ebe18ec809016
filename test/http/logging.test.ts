/**
 * The service's log (src/http/logger.ts): one `request completed` line per request at
 * `info`, naming the request by its id and never carrying a key; 4xx refusals at `info`
 * and failures at `error`, with the request id; nothing per request above `info`.
 */
import { pino } from 'pino'
import type { Level } from 'pino'
import t from 'tap'
import { buildApp } from '../../src/http/app.js'
import { eachBackend, testConfig } from '../helpers/build-app.js'

interface Line {
  level: number
  msg: string
  reqId?: string
  method?: string
  url?: string
  statusCode?: number
  responseTime?: number
  code?: string
  err?: { message: string }
}

await eachBackend(t, async (t, backend) => {
  /** An app logging at `level` into `lines` (raw text in `raw`), with a `/boom` route that fails. */
  async function appLoggingAt (level: Level): Promise<{ app: ReturnType<typeof buildApp>, lines: Line[], raw: string[], rootKey: string }> {
    const lines: Line[] = []
    const raw: string[] = []
    const logger = pino({ level }, { write (s: string) { raw.push(s); lines.push(JSON.parse(s) as Line) } })
    const config = testConfig()
    const app = buildApp({ store: backend.store, config, logger })
    app.get('/boom', async () => { throw new Error('kaboom in a handler') })
    t.teardown(() => app.close())
    await app.ready()
    return { app, lines, raw, rootKey: config.rootKey }
  }

  await t.test('at info: one line per request, named by its id, without the key', async t => {
    const { app, lines, raw, rootKey } = await appLoggingAt('info')
    const res = await app.inject({ method: 'PUT', url: '/v1/tenants/logged', headers: { authorization: `Bearer ${rootKey}`, 'x-request-id': 'trace-42' }, payload: { name: 'Logged' } })
    t.equal(res.statusCode, 201)
    t.equal(res.headers['x-request-id'], 'trace-42')
    const done = lines.filter(l => l.msg === 'request completed')
    t.equal(done.length, 1, 'one line for the request')
    t.match(done[0], { level: 30, reqId: 'trace-42', method: 'PUT', url: '/v1/tenants/logged', statusCode: 201 })
    t.type(done[0]?.responseTime, 'number')
    t.notOk(raw.some(s => s.includes(rootKey)), 'the key is in no line')
  })

  await t.test('at info: a refusal says why, with the request id', async t => {
    const { app, lines } = await appLoggingAt('info')
    const res = await app.inject({ method: 'GET', url: '/v1/tenants/logged' })
    t.equal(res.statusCode, 401)
    const id = res.headers['x-request-id']
    t.match(lines.find(l => l.code === 'unauthorized'), { level: 30, reqId: id, statusCode: undefined })
    t.match(lines.find(l => l.msg === 'request completed'), { reqId: id, statusCode: 401 })
  })

  await t.test('a failure is logged at error with the error and the request id; the answer hides it', async t => {
    const { app, lines } = await appLoggingAt('warn')
    const res = await app.inject({ method: 'GET', url: '/boom' })
    t.equal(res.statusCode, 500)
    t.notMatch(res.body, /kaboom/, 'the response does not carry the error')
    t.equal(lines.length, 1, 'only the failure is logged at warn')
    t.match(lines[0], { level: 50, msg: 'request failed', reqId: res.headers['x-request-id'], method: 'GET', url: '/boom', err: { message: 'kaboom in a handler' } })
  })

  await t.test('above info: no line for requests that succeed or are refused', async t => {
    const { app, lines, rootKey } = await appLoggingAt('warn')
    t.equal((await app.inject({ method: 'PUT', url: '/v1/tenants/quiet', headers: { authorization: `Bearer ${rootKey}` }, payload: { name: 'Quiet' } })).statusCode, 201)
    t.equal((await app.inject({ method: 'GET', url: '/v1/tenants/quiet' })).statusCode, 401)
    t.same(lines, [], 'nothing logged')
  })
})
