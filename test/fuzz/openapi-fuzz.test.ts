/**
 * A fuzzer driven by `openapi/openapi.json` (issue 13): for every operation, requests are
 * generated from its parameter and body schemas, mostly valid-ish and partly hostile (NUL,
 * lone surrogates, huge strings, deep nesting, prototype names as ids, names and keys,
 * wrong types, extra properties, huge and negative integers, unknown query parameters,
 * broken JSON), sent with valid keys against a tenant whose policy comes from a template.
 * Every answer must be below 500, carry no stack trace, and every 4xx must be in the
 * documented error shape.
 *
 * Bounded and reproducible: a fixed seed (FUZZ_SEED) and a run count per operation
 * (FUZZ_RUNS); a failure prints the seed, the path and the request. Most requests go
 * through `app.inject`; a share goes over real HTTP.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import t from 'tap'
import { ERROR_CODES } from '../../src/http/errors.js'
import { buildTestApp, call, eachBackend, setupTenant } from '../helpers/build-app.js'

// A hang guard, not a speed bound: every operation of the OpenAPI document, fuzzed on both databases: 26 s of CPU, which the 120 s default overran at load 15 to 18.
t.setTimeout(300_000)

const SEED = Number(process.env.FUZZ_SEED ?? 20261207)
const RUNS = Number(process.env.FUZZ_RUNS ?? 40)
/** Requests over real HTTP, spread over all operations. */
const HTTP_RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 150)

type Schema = Record<string, unknown>
interface Parameter { name: string, in: 'path' | 'query' | 'header', required?: boolean, schema: Schema }
interface Operation { method: string, path: string, parameters: Parameter[], body?: Schema, bodyRequired: boolean, security?: unknown[] }

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const doc = JSON.parse(readFileSync(join(root, 'openapi', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: Parameter[], requestBody?: { required?: boolean, content: Record<string, { schema?: Schema }> }, security?: unknown[] }>>
  components: { schemas: Record<string, Schema> }
}

const OPERATIONS: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    parameters: op.parameters ?? [],
    ...(op.requestBody?.content['application/json']?.schema === undefined ? {} : { body: op.requestBody.content['application/json'].schema }),
    bodyRequired: op.requestBody?.required === true,
    ...(op.security === undefined ? {} : { security: op.security })
  })))

/** `#/components/schemas/X/properties/...` → the schema it points at. */
function resolve (schema: Schema): Schema {
  let s = schema
  for (let i = 0; i < 16 && typeof s.$ref === 'string'; i++) {
    let node: unknown = doc
    for (const token of (s.$ref as string).replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[token.replaceAll('~1', '/').replaceAll('~0', '~')]
    s = node as Schema
  }
  return s
}

// The hostile material.
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__']
const HOSTILE_STRINGS = [
  '', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', ...PROTOTYPE_NAMES,
  '../../etc/passwd', '%00', '\'; drop table subjects; --', '$' + '{jndi:x}', '😀', 'x'.repeat(5000), ' ', '\n', 'é'
]
const HUGE_STRING = 'h'.repeat(300_000)
const HOSTILE_NUMBERS = [-1, 0, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 1e308, -1e308, 0.5, -0.0001]
/** Replaced by 10,000 levels of nesting when the body is serialized. */
const DEEP = '\u0001deep\u0001'
const DEEP_TEXT = `${'['.repeat(10_000)}${']'.repeat(10_000)}`

const hostileString = fc.constantFrom(...HOSTILE_STRINGS)
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...HOSTILE_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { '': '' }) },
  { weight: 1, arbitrary: fc.constant(DEEP) },
  { weight: 1, arbitrary: fc.constant(HUGE_STRING) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).map(k => JSON.parse(`{${JSON.stringify(k)}: {"polluted": true}}`) as unknown) }
)

/** Names the tenant really has, so that generated requests reach past the 404s. */
interface Known { names: string[], ids: string[] }

/** A valid-ish value for `schema`, or now and then a hostile one. */
function arb (schema: Schema, known: Known, depth: number): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 24, arbitrary: valid(resolve(schema), known, depth) }, { weight: 1, arbitrary: hostileValue })
}

function valid (schema: Schema, known: Known, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  if ('const' in schema) return fc.constant(schema.const)
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = schema[key]
    if (Array.isArray(list) && list.length > 0) return fc.oneof(...(list as Schema[]).map(s => arb(s, known, depth)))
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return arb(schema.allOf[0] as Schema, known, depth)
  const type = schema.type
  if (Array.isArray(type)) return fc.oneof(...(type as string[]).map(ty => valid({ ...schema, type: ty }, known, depth)))
  if (depth > 5) return fc.constant(type === 'array' ? [] : type === 'object' ? {} : type === 'string' ? 'x' : 0)
  switch (type) {
    case 'string': return stringArb(schema, known)
    case 'integer': return fc.oneof(fc.integer({ min: (schema.minimum as number | undefined) ?? -5, max: (schema.maximum as number | undefined) ?? 1000 }), fc.constantFrom(...HOSTILE_NUMBERS.filter(Number.isInteger)))
    case 'number': return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean': return fc.boolean()
    case 'null': return fc.constant(null)
    case 'array': {
      const items = (schema.items as Schema | undefined) ?? {}
      const minLength = Math.min((schema.minItems as number | undefined) ?? 0, 3)
      return fc.array(arb(items, known, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min((schema.maxItems as number | undefined) ?? 3, 3)) })
    }
    case 'object': return objectArb(schema, known, depth)
    default: return fc.jsonValue({ maxDepth: 2 })
  }
}

/**
 * `fc.stringMatching` for each pattern, built once: building one takes 1 to 55 ms (the
 * id pattern's `{0,62}`), and the schemas repeat a handful of patterns hundreds of times.
 */
const patternArbs = new Map<string, fc.Arbitrary<string>>()
function matching (pattern: string): fc.Arbitrary<string> {
  let arbitrary = patternArbs.get(pattern)
  if (arbitrary === undefined) {
    arbitrary = fc.stringMatching(new RegExp(pattern))
    patternArbs.set(pattern, arbitrary)
  }
  return arbitrary
}

function stringArb (schema: Schema, known: Known): fc.Arbitrary<unknown> {
  const max = Math.min((schema.maxLength as number | undefined) ?? 24, 64)
  const min = (schema.minLength as number | undefined) ?? 0
  const options: fc.Arbitrary<unknown>[] = [fc.constantFrom(...known.names, ...known.ids)]
  if (schema.format === 'date-time') options.push(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map(d => d.toISOString()))
  if (typeof schema.pattern === 'string') {
    try {
      options.push(matching(schema.pattern as string).filter(s => s.length >= min && s.length <= Math.max(max, min)))
    } catch {
      // A pattern fast-check cannot generate from: plain strings below.
    }
  }
  options.push(fc.string({ minLength: min, maxLength: Math.max(max, min) }))
  return fc.oneof(...options)
}

function objectArb (schema: Schema, known: Known, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties as Record<string, Schema> | undefined) ?? {}
  const required = (schema.required as string[] | undefined) ?? []
  const record = fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, arb(s, known, depth + 1)])), { requiredKeys: required.filter(k => k in properties) })
  const additional = schema.additionalProperties
  const keys = fc.oneof(fc.constantFrom(...known.names, ...PROTOTYPE_NAMES), fc.string({ maxLength: 12 }))
  const extra = additional === false
    // A closed object: now and then an unknown property anyway.
    ? fc.oneof({ weight: 6, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(keys, hostileValue, { maxKeys: 1 }) })
    : fc.dictionary(keys, typeof additional === 'object' ? arb(additional as Schema, known, depth + 1) : fc.jsonValue({ maxDepth: 2 }), { maxKeys: Object.keys(properties).length > 0 ? 1 : 3 })
  // `Object.assign` would call the `__proto__` setter: define own properties instead.
  return fc.tuple(record, extra).map(([r, e]) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of [...Object.entries(e), ...Object.entries(r as Record<string, unknown>)]) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    return out
  })
}

interface Generated {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
}

type Auth = 'root' | 'full' | 'admin' | 'check' | 'none'

/** The key an operation needs, so that most requests get past authorization. */
function preferredAuth (op: Operation): Auth {
  if (op.security !== undefined && op.security.length === 0) return 'none'
  if (op.path.startsWith('/access/')) return 'check'
  if ((op.path === '/v1/tenants/{tenant}' && op.method === 'PUT') || (op.path.startsWith('/v1/tenants/{tenant}/keys') && op.method !== 'GET')) return 'root'
  return 'full'
}

function encodeSegment (value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    // A lone surrogate has no UTF-8 form: send the bytes of an encoded surrogate.
    return '%ED%A0%80'
  }
}

function stringify (value: unknown): string {
  return JSON.stringify(value).replaceAll(JSON.stringify(DEEP), DEEP_TEXT)
}

function asText (value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' && value !== null ? stringify(value) : String(value)
}

/** `value` once in `every` draws, else undefined. */
function sometimes<T> (value: fc.Arbitrary<T>, every: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value })
}

function requestArb (op: Operation, tenant: string, known: Known): fc.Arbitrary<{ request: Generated, auth: Auth }> {
  const pathParams = op.parameters.filter(p => p.in === 'path')
  const queryParams = op.parameters.filter(p => p.in === 'query')
  const headerParams = op.parameters.filter(p => p.in === 'header')
  const paramValue = (p: Parameter): fc.Arbitrary<unknown> => {
    if (p.name === 'tenant') return fc.oneof({ weight: 12, arbitrary: fc.constant(tenant) }, { weight: 1, arbitrary: arb(p.schema, known, 0) })
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known.names, ...known.ids) }, { weight: 3, arbitrary: arb(p.schema, known, 0) }, { weight: 1, arbitrary: hostileString }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) })
  }
  const path = fc.tuple(...pathParams.map(paramValue))
  const query = fc.tuple(...queryParams.map(p => fc.option(arb(p.schema, known, 0), { nil: undefined, freq: 2 })))
  const unknownQuery = sometimes(fc.constantFrom(['key', 'gh_0123456789abcdef01234567_secret'], ['__proto__', 'x'], ['constructor', '1'], ['a\u0000', 'b']), 12)
  const headers = fc.tuple(...headerParams.map(p => sometimes(p.name === 'gatehouse-tenant' ? paramValue({ ...p, name: 'tenant' }) : arb(p.schema, known, 0), 4)))
  const body = op.body === undefined
    ? fc.constant<string | undefined>(undefined)
    : fc.oneof(
      { weight: 12, arbitrary: arb(op.body, known, 0).map(stringify) },
      { weight: 1, arbitrary: fc.constantFrom('{"subject": ', '', 'null', '[]', '"x"', '{"__proto__": {"admin": true}}', `{"a": ${DEEP_TEXT}}`, '{"s": "\\u0000"}', '{"s": "\\ud800"}') }
    )
  const auth = fc.oneof({ weight: 8, arbitrary: fc.constant(preferredAuth(op)) }, { weight: 1, arbitrary: fc.constantFrom<Auth>('root', 'full', 'admin', 'check', 'none') })
  const contentType = fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/yaml') })
  return fc.record({ path, query, unknownQuery, headers, body, auth, contentType }).map(g => {
    let url = op.path
    pathParams.forEach((p, i) => { url = url.replace(`{${p.name}}`, encodeSegment(asText(g.path[i]))) })
    const pairs: string[] = []
    queryParams.forEach((p, i) => { if (g.query[i] !== undefined) pairs.push(`${p.name}=${encodeSegment(asText(g.query[i]))}`) })
    if (g.unknownQuery !== undefined) pairs.push(`${encodeSegment(g.unknownQuery[0])}=${encodeSegment(g.unknownQuery[1])}`)
    if (pairs.length > 0) url += `?${pairs.join('&')}`
    const headersOut: Record<string, string> = {}
    headerParams.forEach((p, i) => { if (g.headers[i] !== undefined) headersOut[p.name] = asText(g.headers[i]) })
    if (g.body !== undefined) headersOut['content-type'] = g.contentType
    const request: Generated = { method: op.method, url, headers: headersOut }
    if (g.body !== undefined) request.payload = g.body
    return { request, auth: g.auth }
  })
}

interface Keys { root: string, full: string, admin: string, check: string }

function withAuth (request: Generated, auth: Auth, keys: Keys, tenant: string): Generated {
  if (auth === 'none') return request
  const headers: Record<string, string> = { ...request.headers, authorization: `Bearer ${keys[auth]}` }
  // The root key names the tenant of a decision.
  if (auth === 'root' && request.url.startsWith('/access/') && headers['gatehouse-tenant'] === undefined) headers['gatehouse-tenant'] = tenant
  return { ...request, headers }
}

const STACK = /\bat .+\.(ts|js|mjs|cjs):\d+/
const PARTS = ['body', 'params', 'headers', 'querystring']

/** What is wrong with an answer, or undefined when it is as documented. */
function problemWith (status: number, body: string): string | undefined {
  if (status >= 500) return `answered ${status}`
  if (STACK.test(body)) return 'the body carries a stack trace'
  if (status < 400) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return `a ${status} whose body is not JSON`
  }
  const error = parsed as { code?: unknown, message?: unknown, details?: unknown }
  if (typeof error.code !== 'string' || !(ERROR_CODES as string[]).includes(error.code)) return `a ${status} without a catalogue code`
  if (typeof error.message !== 'string') return `a ${status} without a message`
  const extra = Object.keys(error).filter(k => !['code', 'message', 'details'].includes(k))
  if (extra.length > 0) return `a ${status} with undocumented members ${extra.join(', ')}`
  if (error.details !== undefined) {
    if (!Array.isArray(error.details)) return `a ${status} whose details are not a list`
    for (const d of error.details as Array<Record<string, unknown>>) {
      if (typeof d.path !== 'string' || typeof d.message !== 'string') return `a ${status} with a detail without path or message`
      if (d.in !== undefined && !PARTS.includes(d.in as string)) return `a ${status} with a detail in \`${String(d.in)}\``
    }
  }
  if (status === 400 && error.code === 'validation_failed' && !Array.isArray(error.details)) return 'a validation_failed without details naming the field'
  return undefined
}

async function prepare (t: Test, app: FastifyInstance, rootKey: string): Promise<{ tenant: string, keys: Keys, known: Known }> {
  const setup = await setupTenant(t, app, rootKey)
  const template = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/policy?template=field-crew`, { key: setup.adminKey })
  t.equal(template.statusCode, 200, 'the policy comes from a template', { body: template.body })
  const list = async (what: string): Promise<string[]> => {
    const res = await call(app, 'GET', `/v1/tenants/${setup.tenant}/${what}`, { key: setup.adminKey })
    return Object.keys((res.json() as Record<string, Record<string, unknown>>)[what] ?? {})
  }
  const roles = await list('roles')
  const modules = await list('modules')
  const flags = await list('flags')
  t.ok(roles.length > 0 && modules.length > 0, 'the template has roles and modules', { roles, modules })
  for (const id of ['marie', 'paul']) {
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/${id}`, { key: setup.adminKey, body: { roles: roles.slice(0, 1) } })
    t.ok(res.statusCode < 300, `subject ${id} stored`, { body: res.body })
  }
  const resource = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/resources/${modules[0] ?? 'jobs'}/r-1`, { key: setup.adminKey, body: {} })
  t.ok(resource.statusCode < 300, 'a resource stored', { body: resource.body })
  return {
    tenant: setup.tenant,
    keys: { root: rootKey, full: setup.fullKey, admin: setup.adminKey, check: setup.checkKey },
    known: { names: [...roles, ...modules, ...flags, 'view', 'user'], ids: ['marie', 'paul', 'r-1', 'crew-a', 'field-crew', setup.tenant] }
  }
}

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store, { bodyLimit: 1024 * 1024 })
  const { tenant, keys, known } = await prepare(t, app, rootKey)
  const statuses = new Map<number, number>()
  const started = Date.now()
  t.comment(`fuzz seed ${SEED}, ${RUNS} runs per operation, ${HTTP_RUNS} over HTTP (FUZZ_SEED, FUZZ_RUNS, FUZZ_HTTP_RUNS)`)

  for (const [index, op] of OPERATIONS.entries()) {
    await t.test(`${op.method} ${op.path}`, async t => {
      let failure: string | undefined
      const result = await fc.check(fc.asyncProperty(requestArb(op, tenant, known), async ({ request, auth }) => {
        const sent = withAuth(request, auth, keys, tenant)
        const res = await app.inject({ method: sent.method as 'GET', url: sent.url, headers: sent.headers, ...(sent.payload === undefined ? {} : { payload: sent.payload }) })
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        if (process.env.FUZZ_TRACE !== undefined) t.comment(`${res.statusCode} ${sent.method} ${sent.url.slice(0, 100)} ${res.body.slice(0, 160)}`)
        const problem = problemWith(res.statusCode, res.body)
        if (problem !== undefined) failure = `${problem}: ${res.body.slice(0, 300)}`
        return problem === undefined
      }), { seed: SEED + index, numRuns: RUNS, endOnFailure: true })
      t.ok(!result.failed, `no 5xx, no stack trace, every 4xx documented (seed ${SEED + index})`, result.failed
        ? { seed: result.seed, path: result.counterexamplePath, failure, request: JSON.stringify(result.counterexample?.[0]).slice(0, 2000) }
        : {})
    })
  }

  await t.test('over real HTTP', async t => {
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    let failure: string | undefined
    let skipped = 0
    // Each operation's arbitrary built once, not once per drawn request.
    const perOperation = OPERATIONS.map(op => requestArb(op, tenant, known).map(g => ({ ...g, op })))
    const any = fc.integer({ min: 0, max: OPERATIONS.length - 1 }).chain(i => perOperation[i] as (typeof perOperation)[number])
    const result = await fc.check(fc.asyncProperty(any, async ({ request, auth, op }) => {
      const sent = withAuth(request, auth, keys, tenant)
      let res: Response
      try {
        res = await fetch(`${base}${sent.url}`, { method: sent.method, headers: sent.headers, ...(sent.payload === undefined ? {} : { body: sent.payload }) })
      } catch (err) {
        // fetch itself refuses a header with a NUL or a character above U+00FF: nothing was sent.
        const cause = (err as { cause?: { code?: unknown } }).cause
        if (err instanceof TypeError && (!/fetch failed/.test(err.message) || cause?.code === 'UND_ERR_INVALID_ARG')) {
          skipped++
          return true
        }
        failure = `the request failed: ${String(err)}`
        return false
      }
      const text = await res.text()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      const problem = problemWith(res.status, text)
      if (problem !== undefined) failure = `${problem}: ${text.slice(0, 300)}`
      return problem === undefined
    }), { seed: SEED, numRuns: HTTP_RUNS, endOnFailure: true })
    t.ok(!result.failed, `no 5xx over HTTP either (seed ${SEED})`, result.failed
      ? { seed: result.seed, path: result.counterexamplePath, failure, request: JSON.stringify(result.counterexample?.[0]).slice(0, 2000) }
      : {})
    t.comment(`${skipped} requests fetch would not send`)
  })

  const total = [...statuses.values()].reduce((a, b) => a + b, 0)
  t.comment(`${backend.name}: ${total} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`)
  t.ok(total > OPERATIONS.length * RUNS * 0.9, 'the fuzzer sent its requests')
})
