/**
 * Input that is merely bad never answers 5xx (issue 13): NUL and lone surrogates in any
 * string of any request part, deep nesting, integers the database cannot hold, unknown
 * query parameters, requests Node's HTTP parser refuses, dropped connections. Each is a
 * 4xx in the documented shape naming the field; nothing of it reaches the error log, and
 * no query string value reaches any log line.
 */
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import type { Test } from 'tap'
import t from 'tap'
import { buildApp } from '../../src/http/app.js'
import { loggableError } from '../../src/http/logger.js'
import { StoreUnavailableError } from '../../src/store/errors.js'
import type { Store } from '../../src/store/store.js'
import { call, eachBackend, revisionOf, setupTenant, testConfig } from '../helpers/build-app.js'
import type { TenantSetup } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'
import { ROUTES } from './routes.js'
import type { RouteCase } from './routes.js'

interface Line { level: number, msg: string, url?: string, err?: unknown }

interface Logged { app: FastifyInstance, lines: Line[], raw: string[], rootKey: string }

/** An app over `store` logging at `info` into `lines` (and the raw text into `raw`). */
async function loggedApp (t: Test, store: Store, extra?: (app: FastifyInstance) => void): Promise<Logged> {
  const lines: Line[] = []
  const raw: string[] = []
  const logger = pino({ level: 'debug' }, { write (s: string) { raw.push(s); lines.push(JSON.parse(s) as Line) } })
  const config = testConfig()
  const app = buildApp({ store, config, logger })
  extra?.(app)
  t.teardown(() => app.close())
  await app.ready()
  return { app, lines, raw, rootKey: config.rootKey }
}

function keyFor (route: RouteCase, setup: TenantSetup, rootKey: string): string {
  if (route.access === 'audit') return setup.fullKey
  return route.access === 'root' ? rootKey : route.access === 'admin' ? setup.adminKey : setup.checkKey
}

/** JSON pointers of every string leaf of `value`. */
function stringLeaves (value: unknown, path = ''): string[] {
  if (typeof value === 'string') return [path]
  if (typeof value !== 'object' || value === null) return []
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
  return entries.flatMap(([k, v]) => stringLeaves(v, `${path}/${k}`))
}

/** A deep copy of `value` with the string at `pointer` replaced by `replace(old)`. */
function withString (value: unknown, pointer: string, replace: (s: string) => string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>
  const keys = pointer.split('/').slice(1)
  let node: Record<string, unknown> = copy
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>
  const last = keys[keys.length - 1] as string
  node[last] = replace(node[last] as string)
  return copy
}

function nested (depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`
}

/** Checks a refusal: `status`, the documented shape, the detail naming `part` and `path`. */
function isRefusal (t: Test, res: { statusCode: number, body: string, json: () => unknown }, status: number, part: string, path: string | RegExp): void {
  t.equal(res.statusCode, status, `answers ${status}`, { body: res.body.slice(0, 300) })
  const body = res.json() as { code: unknown, message: unknown, details?: Array<{ in?: string, path: string }> }
  t.type(body.code, 'string')
  t.type(body.message, 'string')
  t.ok(Array.isArray(body.details), 'with details')
  t.match(body.details?.[0], { in: part, path }, `naming ${part} ${String(path)}`)
  t.notMatch(res.body, /\bat .+\.(ts|js):\d+/, 'no stack trace')
}

const HOSTILE = [
  { name: 'U+0000', insert: (s: string) => `${s}\u0000x`, code: 'nul_character' },
  { name: 'a lone high surrogate', insert: (s: string) => `${s}\ud800`, code: 'lone_surrogate' },
  { name: 'a lone low surrogate', insert: (s: string) => `\udc00${s}`, code: 'lone_surrogate' }
]

await eachBackend(t, async (t, backend) => {
  const { app, lines, raw, rootKey } = await loggedApp(t, backend.store)
  const errorLines = (): Line[] => lines.filter(l => l.level >= 50)
  const fresh = async (): Promise<TenantSetup> => await setupTenant(t, app, rootKey, {
    bundle: exampleBundle,
    subjects: exampleSubjects,
    resources: { 'jobs/job-1': { assignee: 'marie' } }
  })
  const setup = await fresh()

  await t.test('every string of every route body: NUL and lone surrogates are a 400 naming the field, and write nothing', async t => {
    for (const route of ROUTES) {
      if (route.body === undefined) continue
      const key = keyFor(route, setup, rootKey)
      for (const leaf of stringLeaves(route.body)) {
        for (const bad of HOSTILE) {
          const before = await revisionOf(app, rootKey, setup.tenant)
          const res = await call(app, route.method, route.url(setup.tenant), { key, body: withString(route.body, leaf, bad.insert) as Record<string, unknown> })
          t.equal(res.statusCode, 400, `${route.name} ${leaf} with ${bad.name}`, { body: res.body })
          t.match(res.json(), { code: 'validation_failed', details: [{ in: 'body', path: leaf, code: bad.code }] })
          t.equal(await revisionOf(app, rootKey, setup.tenant), before, 'nothing written')
        }
      }
    }
    t.same(errorLines(), [], 'nothing in the error log')
  })

  await t.test('an object key with NUL is a 400 naming it', async t => {
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/resources/jobs/job-9`, { key: setup.adminKey, body: { 'assig\u0000nee': 'marie' } })
    isRefusal(t, res, 400, 'body', '/assig\ufffdnee')
  })

  await t.test('a JSON text without escapes cannot carry NUL or a lone surrogate: raw, the one is not JSON and the other arrives as U+FFFD', async t => {
    // The input guard skips the string checks of such a text (`escapeFreeJson`): these are the two ways around that it must not miss.
    const headers = { authorization: `Bearer ${setup.adminKey}`, 'content-type': 'application/json' }
    const url = `/v1/tenants/${setup.tenant}/resources/jobs/job-raw`
    const nul = await app.inject({ method: 'PUT', url, headers, payload: Buffer.from('{"assignee":"mar\u0000ie"}') })
    t.equal(nul.statusCode, 400, 'a raw NUL in a string', { body: nul.body })
    t.match(nul.json(), { code: 'invalid_json' })
    // ED A0 80: U+D800 encoded as if it were a character (CESU-8), which UTF-8 forbids.
    const surrogate = await app.inject({ method: 'PUT', url, headers, payload: Buffer.concat([Buffer.from('{"assignee":"mar'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('ie"}')]) })
    t.ok(surrogate.statusCode < 300, 'stored', { body: surrogate.body })
    const stored = await app.inject({ method: 'GET', url, headers })
    t.same(stored.json().properties.assignee, ['mar\ufffd\ufffd\ufffdie'], 'each byte of the encoded surrogate decoded as U+FFFD')
    t.same(errorLines(), [], 'nothing in the error log')
  })

  await t.test('a YAML body is checked like a JSON one: an escaped NUL or surrogate is a 400 naming the field', async t => {
    const before = await revisionOf(app, rootKey, setup.tenant)
    for (const escape of ['\\0', '\\x00', '\\ud800']) {
      const yaml = `version: 1\nflags:\n  f: "a${escape}b"\nmodules:\n  jobs:\n    actions:\n      view: { level: limited }\nroles:\n  r:\n    modules:\n      jobs: { access: all, level: limited }\n`
      const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy`, { key: setup.adminKey, body: yaml, headers: { 'content-type': 'application/yaml' } })
      isRefusal(t, res, 400, 'body', '/flags/f')
    }
    t.equal(await revisionOf(app, rootKey, setup.tenant), before, 'nothing written')
  })

  await t.test('path ids, query values and headers: NUL and lone surrogates are a 400 naming the parameter', async t => {
    const tenant = setup.tenant
    const admin = { key: setup.adminKey }
    for (const [label, url] of [
      ['subject id', `/v1/tenants/${tenant}/subjects/a%00b`],
      ['group id', `/v1/tenants/${tenant}/groups/a%00b`],
      ['resource id', `/v1/tenants/${tenant}/resources/jobs/a%00b`],
      ['subject overrides', `/v1/tenants/${tenant}/subjects/a%00b/overrides`]
    ] as const) {
      await t.test(label, async t => {
        isRefusal(t, await call(app, 'GET', url, admin), 400, 'params', /^\/(id)$/)
        isRefusal(t, await call(app, 'PUT', url, { ...admin, body: {} }), 400, 'params', /^\/(id)$/)
        isRefusal(t, await call(app, 'DELETE', url, admin), 400, 'params', /^\/(id)$/)
      })
    }
    // (A lone surrogate cannot reach a path or a query: percent-decoding yields U+FFFD.)
    isRefusal(t, await call(app, 'GET', `/v1/tenants/${tenant}/audit?entity_id=a%00b`, { key: setup.fullKey }), 400, 'querystring', '/entity_id')
    isRefusal(t, await call(app, 'GET', `/v1/tenants/${tenant}/subjects?after=a%00b`, admin), 400, 'querystring', '/after')
    isRefusal(t, await call(app, 'GET', `/v1/tenants/${tenant}/subjects?project=%00`, admin), 400, 'querystring', '/project')
    isRefusal(t, await call(app, 'PUT', `/v1/tenants/${tenant}/groups/crew-z`, { ...admin, body: {}, headers: { 'gatehouse-actor': 'mar\u0000ie' } }), 400, 'headers', '/gatehouse-actor')
    const decision = { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'jobs', id: 'job-1' } }
    isRefusal(t, await call(app, 'POST', '/access/v1/evaluation', { key: rootKey, body: decision, headers: { 'gatehouse-tenant': `${tenant}\u0000` } }), 400, 'headers', '/gatehouse-tenant')
    t.same(errorLines(), [], 'nothing in the error log')
  })

  await t.test('10,000 levels of nesting in any body is a 400 naming where it goes too deep', async t => {
    const deep = nested(10_000)
    const cases = [
      ['/access/v1/search/resource', `{"subject":{"type":"user","id":"marie"},"action":{"name":"view"},"resource":{"type":"jobs"},"context":{"x":${deep}}}`, setup.checkKey],
      ['/access/v1/search/subject', `{"subject":{"type":"user"},"action":{"name":"view"},"resource":{"type":"jobs","id":"job-1"},"context":{"x":${deep}}}`, setup.checkKey],
      ['/access/v1/search/action', `{"subject":{"type":"user","id":"marie"},"resource":{"type":"jobs","id":"job-1"},"context":{"x":${deep}}}`, setup.checkKey],
      ['/access/v1/evaluation', `{"subject":{"type":"user","id":"marie"},"action":{"name":"view"},"resource":{"type":"jobs","id":"job-1"},"context":{"x":${deep}}}`, setup.checkKey]
    ] as const
    for (const [url, payload, key] of cases) {
      const res = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } })
      isRefusal(t, res, 400, 'body', /^\/context\/x(\/0)+$/)
      t.equal(res.json().details[0].code, 'depth')
    }
    const put = await app.inject({ method: 'PUT', url: `/v1/tenants/${setup.tenant}/resources/jobs/job-deep`, payload: `{"assignee":${deep}}`, headers: { authorization: `Bearer ${setup.adminKey}`, 'content-type': 'application/json' } })
    isRefusal(t, put, 400, 'body', /^\/assignee(\/0)+$/)
    // 60 levels are within the bound: the search answers.
    const fine = await app.inject({ method: 'POST', url: '/access/v1/search/resource', payload: `{"subject":{"type":"user","id":"marie"},"action":{"name":"view"},"resource":{"type":"jobs"},"context":{"x":${nested(60)}}}`, headers: { authorization: `Bearer ${setup.checkKey}`, 'content-type': 'application/json' } })
    t.equal(fine.statusCode, 200, 'a body within the bound is served', { body: fine.body })
    t.same(errorLines(), [], 'nothing in the error log')
  })

  await t.test('the search digest bounds its own recursion, for callers other than the HTTP routes', async t => {
    let deep: unknown[] = []
    for (let i = 0; i < 10_000; i++) deep = [deep]
    const input = { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'jobs' }, context: { x: deep } }
    await t.rejects(app.services.search.resources(setup.tenant, input), { code: 'validation_failed', details: [{ in: 'body', path: /^\/context\/x(\/0)+$/, code: 'depth' }] })
  })

  await t.test('an audit position beyond the integer range is a 400 naming `after`', async t => {
    isRefusal(t, await call(app, 'GET', `/v1/tenants/${setup.tenant}/audit?after=2147483648`, { key: setup.fullKey }), 400, 'querystring', '/after')
    isRefusal(t, await call(app, 'GET', `/v1/tenants/${setup.tenant}/audit?after=99999999999999`, { key: setup.fullKey }), 400, 'querystring', '/after')
    const last = await call(app, 'GET', `/v1/tenants/${setup.tenant}/audit?after=2147483647`, { key: setup.fullKey })
    t.equal(last.statusCode, 200, 'the largest revision is a position')
    t.same(last.json().entries, [])
    t.same(errorLines(), [], 'nothing in the error log')
  })

  await t.test('unknown query parameters are refused by name on every route, and no query value is logged', async t => {
    const secret = 'gh_0123456789abcdef01234567_query-string-secret'
    for (const route of ROUTES) {
      const url = route.url(setup.tenant)
      const res = await call(app, route.method, `${url}${url.includes('?') ? '&' : '?'}key=${secret}`, { key: keyFor(route, setup, rootKey), body: route.body })
      isRefusal(t, res, 400, 'querystring', '/key')
    }
    const known = await call(app, 'GET', `/v1/tenants/${setup.tenant}/subjects?role=${secret}`, { key: setup.adminKey })
    t.equal(known.statusCode, 200)
    t.notOk(raw.some(s => s.includes('query-string-secret')), 'no log line carries a query value')
    t.ok(lines.some(l => l.url === `/v1/tenants/${setup.tenant}/subjects`), 'the path is logged')
  })

  await t.test('Fastify\'s own refusals answer in the documented shape', async t => {
    const url = `/v1/tenants/${setup.tenant}/groups/crew-q`
    const headers = { authorization: `Bearer ${setup.adminKey}`, 'content-type': 'application/json' }
    isRefusal(t, await app.inject({ method: 'PUT', url, headers, payload: '{"description":' }), 400, 'body', '')
    const proto = await app.inject({ method: 'PUT', url, headers, payload: '{"__proto__":{"admin":true}}' })
    isRefusal(t, proto, 400, 'body', '')
    t.match(proto.json(), { code: 'invalid_json', message: /__proto__/ })
    isRefusal(t, await app.inject({ method: 'GET', url: '/v1/tenants/%E0%A4%A', headers }), 400, 'params', '')
  })
})

await eachBackend(t, async (t, backend) => {
  await t.test('a store error that slips through is a 500 logged without its SQL parameters', async t => {
    const { app, lines, raw } = await loggedApp(t, backend.store, app => {
      // A route that skips the input checks, as a bug would: the driver refuses the NUL.
      app.get('/leak', { schema: { hide: true } }, async () => await backend.store.getSubject('leak-tenant', 'secret-parameter\u0000'))
    })
    const res = await app.inject({ method: 'GET', url: '/leak' })
    t.equal(res.statusCode, 500)
    t.same(res.json(), { code: 'internal', message: 'internal error' })
    const failed = lines.filter(l => l.level >= 50)
    t.equal(failed.length, 1, 'one error line')
    t.notOk(raw.some(s => s.includes('secret-parameter')), 'the parameter is in no line')
    t.notOk(raw.some(s => /Failed query|select /i.test(s)), 'nor the SQL')
  })

  await t.test('a plugin error with a 4xx status leaves in the catalogue shape, not as a 500', async t => {
    const { app, lines } = await loggedApp(t, backend.store, app => {
      app.get('/plugin-refusal', { schema: { hide: true } }, async () => { throw Object.assign(new Error('Header x is malformed.'), { statusCode: 400 }) })
    })
    const res = await app.inject({ method: 'GET', url: '/plugin-refusal' })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', message: 'header x is malformed', details: [{ path: '' }] })
    t.same(lines.filter(l => l.level >= 50), [], 'not logged as a failure')
  })

  await t.test('every 503 says when to retry', async t => {
    const down = new Proxy(backend.store, {
      get (target, prop) {
        if (prop === 'ping') return async () => { throw new StoreUnavailableError('the database is unavailable') }
        const value = Reflect.get(target, prop, target) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      }
    })
    const { app } = await loggedApp(t, down)
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'unavailable')
    t.match(res.headers['retry-after'], /^[1-9][0-9]*$/, 'Retry-After in seconds')
  })

  await t.test('over a socket: parser refusals, oversized headers and closing answer in the documented shape', async t => {
    const { app, lines, rootKey } = await loggedApp(t, backend.store, app => {
      app.get('/slow', { schema: { hide: true } }, async () => { await new Promise(resolve => setTimeout(resolve, 300)); return { ok: true } })
    })
    const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }))
    const send = async (text: string, opts: { destroyAfter?: number } = {}): Promise<string> => await new Promise(resolve => {
      const socket = connect(Number(address.port), address.hostname, () => {
        socket.write(text)
        if (opts.destroyAfter !== undefined) setTimeout(() => { socket.destroy(); resolve('') }, opts.destroyAfter)
      })
      let out = ''
      socket.on('data', d => { out += String(d) })
      socket.on('close', () => { resolve(out) })
      socket.on('error', () => {})
    })
    const bodyOf = (response: string): { code: string, message: string, details?: unknown[] } => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { code: string, message: string }

    const nul = await send(`GET /v1/tenants/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${rootKey}\r\nGatehouse-Actor: a\u0000b\r\n\r\n`)
    t.match(nul, /^HTTP\/1\.1 400 /)
    t.match(bodyOf(nul), { code: 'validation_failed', message: String, details: [{ in: 'headers' }] })
    const garbage = await send('NOT HTTP AT ALL\r\n\r\n')
    t.match(bodyOf(garbage), { code: 'validation_failed', details: [{ in: 'headers' }] })
    const big = await send(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`)
    t.match(big, /^HTTP\/1\.1 431 /)
    t.match(bodyOf(big), { code: 'headers_too_large' })

    // A client that drops its upload half way: not the service's error.
    await send(`PUT /v1/tenants/dropped HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${rootKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`, { destroyAfter: 100 })
    await new Promise(resolve => setTimeout(resolve, 200))
    t.same(lines.filter(l => l.level >= 50), [], 'no error line for a dropped connection')
    t.ok(lines.some(l => l.level === 30 && /closed the connection/.test(l.msg)), 'an info line says the client left')

    // A request on a connection still busy when the server starts closing: the catalogue's 503.
    const socket = connect(Number(address.port), address.hostname)
    await new Promise(resolve => socket.once('connect', resolve))
    let out = ''
    socket.on('data', d => { out += String(d) })
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    await new Promise(resolve => setTimeout(resolve, 50))
    const closing = app.close()
    await new Promise(resolve => setTimeout(resolve, 50))
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    await closing
    await new Promise(resolve => setTimeout(resolve, 50))
    socket.destroy()
    const last = out.split(/(?=HTTP\/1\.1 )/).pop() ?? ''
    t.match(out, /^HTTP\/1\.1 200 /, 'the request in flight is served')
    t.match(last, /^HTTP\/1\.1 503 /, 'the next one is refused')
    t.match(last, /retry-after: [1-9]/i, 'saying when to retry')
    t.match(bodyOf(last), { code: 'unavailable' })
  })
})

t.test('the log serializer withholds what may quote a query, at any depth of the cause chain', async t => {
  const query = Object.assign(new Error('Failed query: select * from subjects where id = $1\nparams: secret-parameter'), { query: 'select', params: ['secret-parameter'] })
  const driver = Object.assign(new Error('invalid byte sequence: secret-parameter'), { code: '22021' })
  const wrapped = new Error('unexpected database error (sqlstate 22021)', { cause: Object.assign(query, { cause: driver }) })
  for (const err of [query, wrapped]) {
    const text = JSON.stringify(loggableError(err))
    t.notMatch(text, /secret-parameter/, 'no parameter')
    t.notMatch(text, /select \*/, 'no SQL')
  }
  t.match(loggableError(wrapped), { type: 'Error', message: /sqlstate 22021/, cause: { type: 'Error', cause: { code: '22021' } } }, 'the chain keeps its types and codes')
})
