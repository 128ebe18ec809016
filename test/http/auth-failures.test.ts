/**
 * The limit on failed authentications (issue 13): per client, counted only on refused
 * keys, a 429 with `retry-after` that even the right key gets until the window ends,
 * decided before any key lookup; other clients and valid traffic are not touched.
 */
import t from 'tap'
import type { Test } from 'tap'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { mintKey } from '../../src/service/index.js'
import { buildTestApp, eachBackend, setupTenant } from '../helpers/build-app.js'
import { eventually } from '../helpers/eventually.js'
import { countingStore } from '../service/counting-store.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

const LIMIT = 5
const data = { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } }
const body = evaluation('marie', 'view', 'jobs', 'job-1')

/** A decision request with `key` (none: no header), from `from` (the TCP peer), with extra headers. */
async function decide (app: FastifyInstance, key: string | undefined, from = '127.0.0.1', headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const req: InjectOptions = {
    method: 'POST',
    url: '/access/v1/evaluation',
    remoteAddress: from,
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    payload: JSON.stringify(body)
  }
  return await app.inject(req)
}

const wrongKey = (): string => mintKey().token
const statuses = (responses: LightMyRequestResponse[]): number[] => responses.map(r => r.statusCode)

/** `n` refused keys from `from`, one after the other. */
async function fail (app: FastifyInstance, n: number, from = '127.0.0.1', headers: Record<string, string> = {}): Promise<LightMyRequestResponse[]> {
  const responses: LightMyRequestResponse[] = []
  for (let i = 0; i < n; i++) responses.push(await decide(app, wrongKey(), from, headers))
  return responses
}

function isLimited (t: Test, res: LightMyRequestResponse, what: string): void {
  t.equal(res.statusCode, 429, what)
  const seconds = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `retry-after is whole seconds within the window (${String(res.headers['retry-after'])})`)
  t.same(Object.keys(res.json()).sort(), ['code', 'message'], 'the documented error body')
  t.equal(res.json().code, 'too_many_failed_authentications')
  t.match(res.headers['content-type'], /^application\/json/)
}

await eachBackend(t, async (t, backend) => {
  const { store, calls } = countingStore(backend.store)
  const { app, rootKey } = await buildTestApp(t, store, { authFailureLimit: LIMIT, authFailureWindowMs: 60_000 })
  const getKeys = (): number => calls.filter(c => c === 'getKey').length

  await t.test('refused keys are 401s up to the limit, then 429 with retry-after, even for the right key, with no key lookup', async t => {
    const client = '10.1.0.1'
    const { checkKey } = await setupTenant(t, app, rootKey, data)
    t.equal((await decide(app, checkKey, client)).statusCode, 200, 'the client works')
    t.same(statuses(await fail(app, LIMIT, client)), Array(LIMIT).fill(401), `${LIMIT} refused keys are 401s`)
    const lookups = getKeys()
    isLimited(t, await decide(app, wrongKey(), client), 'the next refused key is a 429')
    isLimited(t, await decide(app, checkKey, client), 'so is the right key: a hit would tell nothing')
    isLimited(t, await decide(app, undefined, client), 'and a request without a key')
    isLimited(t, await decide(app, rootKey, client), 'and the root key')
    t.equal(getKeys(), lookups, 'no key was looked up for a limited client')
  })

  await t.test('another client is not affected, by address or, behind a trusted proxy, by x-forwarded-for', async t => {
    const { checkKey } = await setupTenant(t, app, rootKey, data)
    await fail(app, LIMIT + 1, '10.2.0.1')
    isLimited(t, await decide(app, checkKey, '10.2.0.1'), 'the limited client')
    t.equal((await decide(app, checkKey, '10.2.0.2')).statusCode, 200, 'another address: the right key works')
    t.equal((await decide(app, wrongKey(), '10.2.0.2')).statusCode, 401, 'and a wrong key is a 401')
    t.equal((await decide(app, checkKey, '10.2.0.1', { 'x-forwarded-for': '10.2.0.3' })).statusCode, 429, 'without a trusted proxy, x-forwarded-for changes nothing')
    t.equal((await decide(app, checkKey, '2001:db8:0:1::1')).statusCode, 200, 'an IPv6 client')
    await fail(app, LIMIT, '2001:db8:0:1::1')
    t.equal((await decide(app, checkKey, '2001:db8:0:1::2')).statusCode, 429, 'IPv6 clients count by /64')
    t.equal((await decide(app, checkKey, '2001:db8:0:2::1')).statusCode, 200, 'another /64 does not')

    const proxied = await buildTestApp(t, store, { authFailureLimit: LIMIT, trustProxy: ['10.9.0.1'] })
    const b = await setupTenant(t, proxied.app, proxied.rootKey, data)
    const via = (client: string): Record<string, string> => ({ 'x-forwarded-for': client })
    t.same(statuses(await fail(proxied.app, LIMIT + 1, '10.9.0.1', via('192.0.2.1'))), [...Array(LIMIT).fill(401), 429], 'the forwarded client is limited')
    t.equal((await decide(proxied.app, b.checkKey, '10.9.0.1', via('192.0.2.1'))).statusCode, 429)
    t.equal((await decide(proxied.app, b.checkKey, '10.9.0.1', via('192.0.2.2'))).statusCode, 200, 'not the other clients behind the same proxy')
    t.equal((await decide(proxied.app, b.checkKey, '10.9.0.1')).statusCode, 200, 'nor the proxy itself')
    t.equal((await decide(proxied.app, b.checkKey, '10.9.0.7', via('192.0.2.1'))).statusCode, 200, 'an untrusted peer cannot claim to be the limited client')
  })

  await t.test('only refused keys count: successes, 403s and requests without a key do not', async t => {
    const client = '10.3.0.1'
    const { adminKey, checkKey } = await setupTenant(t, app, rootKey, data)
    for (let i = 0; i < 3 * LIMIT; i++) {
      t.equal((await decide(app, checkKey, client)).statusCode, 200) || t.fail('a valid key')
      t.equal((await decide(app, adminKey, client)).statusCode, 403) || t.fail('a key without the scope')
      t.equal((await decide(app, undefined, client)).statusCode, 401) || t.fail('no key')
    }
    t.same(statuses(await fail(app, LIMIT + 1, client)), [...Array(LIMIT).fill(401), 429], `still ${LIMIT} refusals allowed`)
    const malformed = await buildTestApp(t, store, { authFailureLimit: 2 })
    const bad = await malformed.app.inject({ method: 'POST', url: '/access/v1/evaluation', headers: { authorization: 'Bearer a b' }, payload: '{}' })
    t.equal(bad.statusCode, 401, 'a malformed authorization header is a refused key')
    t.match(bad.json().message, /malformed `authorization` header/)
    await malformed.app.inject({ method: 'POST', url: '/access/v1/evaluation', headers: { authorization: 'Bearer a b' }, payload: '{}' })
    t.equal((await decide(malformed.app, wrongKey())).statusCode, 429, 'and counts')
  })

  await t.test('valid traffic of a client that is not limited costs what it did: no store work, while others are limited', async t => {
    const { checkKey } = await setupTenant(t, app, rootKey, data)
    await fail(app, LIMIT + 1, '10.4.0.1')
    t.equal((await decide(app, checkKey, '10.4.0.2')).statusCode, 200, 'warm')
    // On PostgreSQL the setup's writes also come back through the change feed, a moment
    // later; one that lands after its write was applied can make the tenant catch up
    // (listAudit) and drop the cached resource (getResource). Count once decisions have
    // run quiet for a while: a decision that itself reads the store never gets there.
    const quiet = await eventually(async () => {
      calls.length = 0
      for (let i = 0; i < 5; i++) {
        await decide(app, checkKey, '10.4.0.2')
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      return calls.length === 0
    })
    t.ok(quiet, `decisions run without store calls once the change feed is quiet (last: ${JSON.stringify(calls)})`)
    calls.length = 0
    for (let i = 0; i < 50; i++) t.equal((await decide(app, checkKey, '10.4.0.2')).statusCode, 200) || t.fail('a valid decision')
    t.same(calls, [], 'not one store call')
  })

  await t.test('the limit ends with its window', async t => {
    const short = await buildTestApp(t, store, { authFailureLimit: 2, authFailureWindowMs: 1000 })
    const s = await setupTenant(t, short.app, short.rootKey, data)
    t.same(statuses(await fail(short.app, 3, '10.5.0.1')), [401, 401, 429])
    const limited = await decide(short.app, s.checkKey, '10.5.0.1')
    t.equal(limited.statusCode, 429)
    t.equal(limited.headers['retry-after'], '1')
    await new Promise(resolve => setTimeout(resolve, 1100))
    t.equal((await decide(short.app, s.checkKey, '10.5.0.1')).statusCode, 200, 'after the window, the right key works')
    t.same(statuses(await fail(short.app, 3, '10.5.0.1')), [401, 401, 429], 'and a new window of failures begins')
  })

  await t.test('with the limit off, refusals are 401s however many', async t => {
    const off = await buildTestApp(t, store, { authFailureLimit: 0 })
    t.same(statuses(await fail(off.app, 50, '10.6.0.1')), Array(50).fill(401))
  })
})
