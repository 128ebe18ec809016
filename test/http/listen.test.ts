/** The wiring outside `inject`: a real server on a real port, spoken to with fetch. */
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp, eachBackend, setupTenant } from '../helpers/build-app.js'
import { evaluation, exampleBundle, exampleSubjects } from './fixtures.js'

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store, { bodyLimit: 4096 })
  const { checkKey } = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects, resources: { 'jobs/job-1': { assignee: 'marie' } } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`
  const headers = { authorization: `Bearer ${checkKey}`, 'content-type': 'application/json' }

  await t.test('a decision over real http, with the request id echoed', async t => {
    const res = await fetch(`${base}/access/v1/evaluation`, {
      method: 'POST', headers: { ...headers, 'x-request-id': 'wire-1' }, body: JSON.stringify(evaluation('marie', 'view', 'jobs', 'job-1'))
    })
    t.equal(res.status, 200)
    t.equal(res.headers.get('x-request-id'), 'wire-1')
    t.match(res.headers.get('content-type'), /^application\/json/)
    const body = await res.json() as { decision: boolean, context: { reason: { code: string } } }
    t.equal(body.decision, true)
    t.equal(body.context.reason.code, 'role_grant')
  })

  await t.test('errors over real http are json: malformed json, oversized body, missing key', async t => {
    const malformed = await fetch(`${base}/access/v1/evaluation`, { method: 'POST', headers, body: '{"subject":' })
    t.equal(malformed.status, 400)
    t.match(await malformed.json(), { code: 'invalid_json' })
    const large = await fetch(`${base}/access/v1/evaluation`, { method: 'POST', headers, body: JSON.stringify({ pad: 'x'.repeat(10_000) }) })
    t.equal(large.status, 413)
    t.match(await large.json(), { code: 'payload_too_large' })
    const anonymous = await fetch(`${base}/access/v1/evaluation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    t.equal(anonymous.status, 401)
    t.match(anonymous.headers.get('www-authenticate'), /^Bearer/)
  })

  await t.test('the docs and the metadata are served', async t => {
    const docs = await fetch(`${base}/docs/json`)
    t.equal(docs.status, 200)
    t.match(await docs.json(), { openapi: '3.1.0' })
    const ui = await fetch(`${base}/docs`, { redirect: 'follow' })
    t.equal(ui.status, 200)
    const meta = await fetch(`${base}/.well-known/authzen-configuration`)
    t.equal(meta.status, 200)
  })

  await t.test('readiness fails with 503 once the store is gone, liveness does not', async t => {
    await backend.store.close()
    const ready = await fetch(`${base}/readyz`)
    t.equal(ready.status, 503)
    t.equal(ready.headers.get('retry-after'), '5')
    t.same(await ready.json(), { code: 'unavailable', message: 'not ready: the store is closed' }, 'a body that says why')
    t.equal((await fetch(`${base}/healthz`)).status, 200)
  })
})
