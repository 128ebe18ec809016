/**
 * The AuthZEN 1.0 interoperability scenarios (../shared/authzen/) run against the live
 * HTTP API, the way the vendors listed there passed them: each scenario's policy as a
 * gatehouse bundle, its users (and routes) as stored data, every vector sent over a real
 * socket, the status code checked, decisions compared exactly and batch items compared
 * byte for byte as bare `{"decision":...}`.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { Test } from 'tap'
import { parse as parseYaml } from 'yaml'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, eachBackend, setupTenant } from '../helpers/build-app.js'

const shared = new URL('../../../shared/authzen/', import.meta.url)
const readJson = (name: string): any => JSON.parse(readFileSync(new URL(name, shared), 'utf8'))

interface Fixture {
  bundle: unknown
  subjects: Record<string, Record<string, unknown>>
  resources: Array<{ type: string, id: string, properties: Record<string, unknown> }>
}

function loadFixture (name: string): Fixture {
  return parseYaml(readFileSync(new URL(`authzen/${name}`, import.meta.url), 'utf8')) as Fixture
}

interface Vector { case?: number, who?: string, request: unknown, expected: unknown }

async function listen (app: FastifyInstance): Promise<string> {
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

async function post (base: string, path: string, key: string, body: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  return { status: res.status, json: await res.json() }
}

async function scenario (t: Test, store: Parameters<typeof buildTestApp>[1], fixtureName: string): Promise<{ base: string, checkKey: string }> {
  const { app, rootKey } = await buildTestApp(t, store)
  const fixture = loadFixture(fixtureName)
  const resources: Record<string, Record<string, unknown>> = {}
  for (const r of fixture.resources) resources[`${r.type}/${encodeURIComponent(r.id)}`] = r.properties
  const subjects: Record<string, Record<string, unknown>> = {}
  for (const [id, s] of Object.entries(fixture.subjects)) subjects[id] = { roles: [], ...s }
  const { checkKey } = await setupTenant(t, app, rootKey, { bundle: fixture.bundle, subjects, resources })
  return { base: await listen(app), checkKey }
}

function label (v: Vector): string {
  const r = v.request as any
  return `case ${v.case ?? '?'} ${v.who ?? ''}: ${r.action?.name ?? ''} ${r.resource?.type ?? ''} ${r.resource?.id ?? '(batch)'}`
}

eachBackend(t, async (t, backend) => {
  await t.test('todo scenario: 40 evaluations and 3 batches, exact', async t => {
    const todo = readJson('todo.json')
    t.equal(todo.evaluation.length + todo.evaluations.length, 43, 'the scenario has 43 cases')
    const { base, checkKey } = await scenario(t, backend.store, 'todo.yaml')
    for (const v of todo.evaluation as Vector[]) {
      const res = await post(base, '/access/v1/evaluation', checkKey, v.request)
      t.equal(res.status, 200, `${label(v)}: status 200`)
      t.equal(res.json.decision, v.expected, `${label(v)}: decision ${String(v.expected)}`, { reason: res.json.context?.reason })
    }
    for (const v of todo.evaluations as Vector[]) {
      const res = await post(base, '/access/v1/evaluations', checkKey, v.request)
      t.equal(res.status, 200, `${label(v)}: status 200`)
      t.equal(JSON.stringify(res.json.evaluations), JSON.stringify(v.expected), `${label(v)}: items are exactly ${JSON.stringify(v.expected)}`)
    }
  })

  await t.test('api gateway scenario: 25 route checks, exact', async t => {
    const gateway = readJson('gateway.json')
    t.equal(gateway.evaluation.length, 25, 'the scenario has 25 cases')
    const { base, checkKey } = await scenario(t, backend.store, 'gateway.yaml')
    for (const v of gateway.evaluation as Vector[]) {
      const res = await post(base, '/access/v1/evaluation', checkKey, v.request)
      t.equal(res.status, 200, `${label(v)}: status 200`)
      t.equal(res.json.decision, v.expected, `${label(v)}: decision ${String(v.expected)}`, { reason: res.json.context?.reason })
    }
  })
})
