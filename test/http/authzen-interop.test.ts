/**
 * The AuthZEN 1.0 interoperability scenarios (../shared/authzen/) run against the live
 * HTTP API, the way the vendors listed there passed them: each scenario's policy as a
 * gatehouse bundle, its users (and routes) as stored data, every vector sent over a real
 * socket, the status code checked, decisions compared exactly and batch items compared
 * byte for byte as bare `{"decision":...}`.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { eachBackend } from '../helpers/build-app.js'
import { post, scenario } from './authzen/harness.js'

const shared = new URL('../../../shared/authzen/', import.meta.url)
const readJson = (name: string): any => JSON.parse(readFileSync(new URL(name, shared), 'utf8'))

interface Vector { case?: number, who?: string, request: unknown, expected: unknown }

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
