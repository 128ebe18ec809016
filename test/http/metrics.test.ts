/**
 * `GET /metrics` (issue 15): on its own port only, off unless asked for, behind a bearer
 * token when one is set; after traffic, the counters move as the traffic says: decisions
 * by module, reason and outcome, latency per route pattern, cache hits and misses, tenants
 * loaded, store errors, background failures, and the propagation lag between two apps on
 * one database. Every scrape is checked against the text exposition format.
 */
import t from 'tap'
import type { Test } from 'tap'
import { buildApp } from '../../src/http/app.js'
import { listenMetrics } from '../../src/http/metrics-server.js'
import type { MetricsServer } from '../../src/http/metrics-server.js'
import { buildTestApp, call, eachBackend, setupTenant, testConfig } from '../helpers/build-app.js'
import { flakyStore, REFRESH_READS } from '../service/flaky-store.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'
import { eventually } from '../helpers/eventually.js'

interface Sample { name: string, labels: Record<string, string>, value: number }

/**
 * Parses the Prometheus text format (version 0.0.4) strictly enough to fail on a broken
 * line: `# HELP` and `# TYPE` once per family and before its samples, names and label
 * names as the format allows them, label values quoted with only `\\`, `\"` and `\n`
 * escaped, values as Go's ParseFloat reads them; histogram buckets cumulative, ending in
 * `+Inf` equal to `_count`.
 */
function parseExposition (t: Test, text: string): Sample[] {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const helps = new Set<string>()
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
  const LINE = new RegExp(`^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)$`)
  const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g
  t.ok(text.endsWith('\n'), 'the text ends with a newline')
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta
      if (kind === 'TYPE') {
        if (types.has(name)) t.fail(`TYPE of ${name} twice`)
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) t.fail(`bad TYPE ${rest}`)
        types.set(name, rest)
      } else {
        if (helps.has(name)) t.fail(`HELP of ${name} twice`)
        helps.add(name)
      }
      continue
    }
    const match = LINE.exec(line)
    if (match === null) {
      t.fail(`not an exposition line: ${line}`)
      continue
    }
    const [, name = '', labelText = '', raw = ''] = match
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw)
    // Go's ParseFloat, which Prometheus uses, reads NaN in any case (prom-client writes `Nan`).
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') t.fail(`bad value in ${line}`)
    const family = name.replace(/_(bucket|sum|count)$/, '')
    if (!types.has(name) && !(types.get(family) === 'histogram' || types.get(family) === 'summary')) t.fail(`sample before its TYPE: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key = '', v = ''] of labelText.matchAll(LABEL)) labels[key] = v
    samples.push({ name, labels, value })
  }
  // Histograms: per series, cumulative buckets ending in +Inf = _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue
    const series = new Map<string, Sample[]>()
    for (const s of samples.filter(s => s.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels
      const key = JSON.stringify(rest)
      series.set(key, [...(series.get(key) ?? []), s])
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) {
        if ((buckets[i]?.value ?? 0) < (buckets[i - 1]?.value ?? 0)) t.fail(`${family}${key}: buckets not cumulative`)
      }
      const last = buckets.at(-1)
      const count = samples.find(s => s.name === `${family}_count` && JSON.stringify(s.labels) === key)
      if (last?.labels.le !== '+Inf' || count === undefined || count.value !== last.value) t.fail(`${family}${key}: +Inf bucket is not _count`)
    }
  }
  return samples
}

/** The value of the one sample with this name and these labels (among others); 0 when absent. */
function valueOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return found.reduce((sum, s) => sum + s.value, 0)
}

async function scrape (t: Test, server: MetricsServer, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(server.url, { headers })
  t.equal(res.status, 200, 'scraped')
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  return parseExposition(t, await res.text())
}

await eachBackend(t, async (t, backend) => {
  await t.test('after traffic, decisions, latency, caches and tenants move as the traffic says', async t => {
    const { app, rootKey } = await buildTestApp(t, backend.store, { metrics: true })
    const server = await listenMetrics(app, { port: 0, host: '127.0.0.1' })
    t.teardown(() => server.close())
    const { checkKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } })

    const before = await scrape(t, server)
    t.equal(valueOf(before, 'gatehouse_decisions_total'), 0, 'no decision yet')
    t.equal(valueOf(before, 'gatehouse_tenants_loaded'), 1, 'the tenant written through this app is in memory')
    t.ok(valueOf(before, 'process_cpu_user_seconds_total') > 0, 'the process metrics are there too')

    const decide = async (body: Record<string, unknown>) => (await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body })).json()
    t.equal((await decide(evaluation('marie', 'view', 'jobs', 'job-1'))).decision, true)
    t.equal((await decide(evaluation('marie', 'view', 'jobs', 'job-1'))).decision, true)
    t.equal((await decide(evaluation('marie', 'edit', 'jobs', 'job-1'))).context.reason.code, 'level_insufficient')
    t.equal((await decide(evaluation('marie', 'view', 'made-up-module-x', 'a'))).context.reason.code, 'module_unknown')
    t.equal((await decide(evaluation('nobody', 'view', 'made-up-module-y', 'a'))).context.reason.code, 'subject_unknown')
    const batch = await call(app, 'POST', '/access/v1/evaluations', {
      key: checkKey,
      body: { subject: { type: 'user', id: 'paul' }, evaluations: [{ action: { name: 'edit' }, resource: { type: 'jobs', id: 'job-1' } }, { action: { name: 'view' } }] }
    })
    t.equal(batch.statusCode, 200)
    t.same(batch.json().evaluations.map((e: { decision: boolean }) => e.decision), [true, false])

    const after = await scrape(t, server)
    const decisions = (labels: Record<string, string>) => valueOf(after, 'gatehouse_decisions_total', labels)
    t.equal(decisions({ module: 'jobs', reason: 'role_grant', decision: 'allow' }), 3, 'two views, and an edit by a manager in the batch')
    t.equal(decisions({ module: 'jobs', reason: 'level_insufficient', decision: 'deny' }), 1)
    t.equal(decisions({ module: '(unknown)', reason: 'module_unknown', decision: 'deny' }), 1, 'a module the policy lacks is never a label of its own')
    t.equal(decisions({ module: '(unknown)', reason: 'subject_unknown', decision: 'deny' }), 1)
    t.equal(decisions({ module: '(unknown)', reason: 'evaluation_error', decision: 'deny' }), 1, 'a batch item with no resource fails closed, counted')
    t.equal(decisions({}), 7, 'every decision counted once')
    t.notOk(after.some(s => s.labels.module?.startsWith('made-up') === true), 'no label from a caller\'s made-up name')
    t.notOk(after.some(s => Object.values(s.labels).some(v => v.includes('marie') || v.startsWith('t-'))), 'no subject or tenant in any label')

    const latency = (status: string) => valueOf(after, 'gatehouse_http_request_duration_seconds_count', { method: 'POST', route: '/access/v1/evaluation', status_code: status })
    t.equal(latency('200'), 5, 'five single evaluations, timed under their route')
    t.equal(valueOf(after, 'gatehouse_http_request_duration_seconds_count', { method: 'PUT', route: '/v1/tenants/:tenant/subjects/:id' }), 4, 'routes by pattern, not by URL')
    t.ok(valueOf(after, 'gatehouse_http_request_duration_seconds_sum', { route: '/access/v1/evaluation' }) > 0)
    t.notOk(after.some(s => s.labels.route?.includes('marie') === true), 'never a raw URL')

    const cache = (name: string, result: string) => valueOf(after, 'gatehouse_cache_requests_total', { cache: name, result }) - valueOf(before, 'gatehouse_cache_requests_total', { cache: name, result })
    t.equal(cache('resources', 'miss'), 3, 'job-1 read from the store once, and each made-up resource...')
    t.equal(cache('resources', 'hit'), 3, '...then job-1 from memory (a view, the edit, the batch\'s edit)')
    t.equal(cache('tenant_states', 'miss'), 0, 'the tenant stayed in memory...')
    t.ok(cache('tenant_states', 'hit') >= 6, '...and each request found it there')
    t.equal(cache('keys', 'miss'), 1, 'the check key read from the store on its first use...')
    t.equal(cache('keys', 'hit'), 5, '...then from memory')

    const search = { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'documents' } }
    for (let i = 0; i < 2; i++) t.equal((await call(app, 'POST', '/access/v1/search/resource', { key: checkKey, body: search })).statusCode, 200)
    const searched = await scrape(t, server)
    const facts = (result: string) => valueOf(searched, 'gatehouse_cache_requests_total', { cache: 'search_facts', result }) - valueOf(after, 'gatehouse_cache_requests_total', { cache: 'search_facts', result })
    t.equal(facts('miss'), 1, 'the first search read the module\'s ACL facts from the store...')
    t.equal(facts('hit'), 1, '...the second, at the same revision, from memory')
  })

  await t.test('a store failure on a request and a failing background refresh are counted', async t => {
    const flaky = flakyStore(backend.store)
    const config = testConfig({ metrics: true, pollMs: 0 })
    const app = buildApp({ store: flaky.store, config })
    t.teardown(() => app.close())
    await app.ready()
    const server = await listenMetrics(app, { port: 0, host: '127.0.0.1' })
    t.teardown(() => server.close())
    const { tenant, checkKey } = await setupTenant(t, app, config.rootKey, { bundle: exampleBundle, subjects: exampleSubjects })

    flaky.failing.add('getResource')
    const res = await call(app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation('marie', 'view', 'jobs', 'not-cached') })
    t.equal(res.statusCode, 503)
    flaky.failing.clear()

    // Another replica writes (straight to the database); this one cannot read it.
    // A refresh the feed started before the store failed may still absorb the news and
    // succeed: then another write, which needs a refresh of its own.
    for (const m of REFRESH_READS) flaky.failing.add(m)
    let failed = false
    for (let i = 0; i < 5 && !failed; i++) {
      const { revision } = await backend.store.putSubject(tenant, { id: `late-${i}`, roles: ['employee'] })
      app.services.propagation.changed(tenant, revision)
      failed = await eventually(async () => app.services.background.counters().staleTenants > 0, 2000)
    }
    t.ok(failed, 'the refresh failed')

    // Scraped while the store still fails: a refresh that succeeds would clear the stale gauge.
    const samples = await scrape(t, server)
    flaky.failing.clear()
    t.equal(valueOf(samples, 'gatehouse_store_errors_total', { kind: 'unavailable' }), 1)
    t.equal(valueOf(samples, 'gatehouse_store_errors_total', { kind: 'internal' }), 0)
    t.ok(valueOf(samples, 'gatehouse_background_failures_total', { work: 'refresh' }) >= 1, 'the failed refresh is counted (the feed may have asked for it too)')
    t.equal(valueOf(samples, 'gatehouse_tenants_stale'), 1)
    t.equal(valueOf(samples, 'gatehouse_http_request_duration_seconds_count', { route: '/access/v1/evaluation', status_code: '503' }), 1, 'the 503 is timed under its status')
  })

  await t.test('propagation lag: a write on one app, applied on another over the same database, is observed there', async t => {
    const a = await buildTestApp(t, backend.store, { metrics: true })
    const b = await buildTestApp(t, backend.store, { metrics: true, rootKey: a.rootKey, pollMs: 0 })
    const server = await listenMetrics(b.app, { port: 0, host: '127.0.0.1' })
    t.teardown(() => server.close())
    const { tenant, adminKey, checkKey } = await setupTenant(t, a.app, a.rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
    t.equal((await call(b.app, 'POST', '/access/v1/evaluation', { key: checkKey, body: evaluation('marie', 'view', 'documents', 'd') })).statusCode, 200, 'B holds the tenant')
    const lagCount = async () => valueOf(await scrape(t, server), 'gatehouse_propagation_lag_seconds_count')
    t.equal(await lagCount(), 0, 'nothing propagated yet')

    const write = await call(a.app, 'PUT', `/v1/tenants/${tenant}/subjects/late`, { key: adminKey, body: { roles: ['employee'] } })
    t.equal(write.statusCode, 201)
    t.ok(await eventually(async () => await lagCount() >= 1), 'B observed the lag of A\'s write')
    const samples = await scrape(t, server)
    t.ok(valueOf(samples, 'gatehouse_propagation_lag_seconds_sum') < 60, 'a lag in seconds, within reason')
    t.equal(valueOf(samples, 'gatehouse_change_feed_up'), 1)
  })

  await t.test('protection: never on the API port, off unless built with metrics, a token when set', async t => {
    const { app, rootKey } = await buildTestApp(t, backend.store, { metrics: true })
    for (const key of [undefined, rootKey]) {
      const res = await call(app, 'GET', '/metrics', key === undefined ? {} : { key })
      t.equal(res.statusCode, 404, `the API port has no /metrics (${key === undefined ? 'no key' : 'root key'})`)
    }

    const server = await listenMetrics(app, { port: 0, host: '127.0.0.1', token: 'scrape-token-0123456789' })
    t.teardown(() => server.close())
    const none = await fetch(server.url)
    t.equal(none.status, 401)
    t.equal(none.headers.get('www-authenticate'), 'Bearer realm="gatehouse-metrics"')
    t.match(await none.json(), { code: 'unauthorized' })
    t.equal((await fetch(server.url, { headers: { authorization: 'Bearer scrape-token-012345678' } })).status, 401, 'a near miss')
    t.equal((await fetch(server.url, { headers: { authorization: `Bearer ${rootKey}` } })).status, 401, 'the root key is not the token')
    await scrape(t, server, { authorization: 'Bearer scrape-token-0123456789' })
    t.equal((await fetch(server.url.replace('/metrics', '/other'), { headers: { authorization: 'Bearer scrape-token-0123456789' } })).status, 404)
    t.equal((await fetch(server.url, { method: 'POST', headers: { authorization: 'Bearer scrape-token-0123456789' } })).status, 405)

    const plain = await buildTestApp(t, backend.store)
    t.equal(plain.app.metrics, undefined, 'an app built without metrics counts nothing')
    t.equal(plain.app.services.decisionTally, undefined)
    await t.rejects(listenMetrics(plain.app, { port: 0, host: '127.0.0.1' }), /without metrics/)
  })
})
