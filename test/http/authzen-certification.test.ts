/**
 * The AuthZEN 1.0 certification scenario (../shared/authzen/README.md §2.6): its 8
 * decision rules (a resource status, a subject property, an action property) and its
 * search cases S1 to S6, against the live HTTP API over a real socket, on both databases.
 * The scenario's policy is `authzen/certification.yaml`, a gatehouse bundle with
 * conditions; its fixture is stored data. Status codes are checked (a broken PDP would
 * otherwise "pass" every deny), and so are the reasons of the denials.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { eachBackend } from '../helpers/build-app.js'
import { post, scenario } from './authzen/harness.js'

const shared = new URL('../../../shared/authzen/', import.meta.url)

interface Rule { rule: number, request: { subject: unknown, action: { name: string, properties?: unknown }, resource: { id: string } }, expected: boolean }

const rules = JSON.parse(readFileSync(new URL('certification-decisions.json', shared), 'utf8')) as Rule[]

const ids = (json: any): string[] => (json.results as Array<{ id?: string, name?: string }>).map(r => r.id ?? r.name ?? '').sort()

eachBackend(t, async (t, backend) => {
  const { base, checkKey } = await scenario(t, backend.store, 'certification.yaml')

  t.test('the 8 decision rules, one evaluation each', async t => {
    t.equal(rules.length, 8, 'the scenario has 8 rules')
    for (const r of rules) {
      const res = await post(base, '/access/v1/evaluation', checkKey, r.request)
      t.equal(res.status, 200, `rule ${r.rule}: status 200`)
      t.equal(res.json.decision, r.expected, `rule ${r.rule}: decision ${String(r.expected)}`, { reason: res.json.context?.reason })
    }
  })

  t.test('the 8 rules in one batch, and context does not change them', async t => {
    const res = await post(base, '/access/v1/evaluations', checkKey, {
      context: { time: '1985-10-26T01:22-07:00', foo: { bar: 1 } },
      evaluations: rules.map(r => r.request)
    })
    t.equal(res.status, 200)
    t.equal(JSON.stringify(res.json.evaluations), JSON.stringify(rules.map(r => ({ decision: r.expected }))), 'bare items, in order')
  })

  t.test('a denial by a condition names it, with the values read', async t => {
    const archived = rules.find(r => r.rule === 5) as Rule
    const res = await post(base, '/access/v1/evaluation', checkKey, archived.request)
    t.match(res.json.context.reason, { code: 'condition_failed', message: /resource\.status != 'archived'/ })
    const hard = rules.find(r => r.rule === 8) as Rule
    const denied = await post(base, '/access/v1/evaluation', checkKey, hard.request)
    t.match(denied.json.context.reason, { code: 'condition_failed', message: /action\.soft == true/ })
  })

  t.test('search cases S1 to S6', async t => {
    const alice = { type: 'user', id: 'alice' }
    const bob = { type: 'user', id: 'bob' }
    const admin = { ...bob, properties: { role: 'admin' } }
    const s1 = await post(base, '/access/v1/search/subject', checkKey, { subject: { type: 'user' }, action: { name: 'read' }, resource: { type: 'record', id: 'record-1' } })
    t.same([s1.status, ids(s1.json)], [200, ['alice', 'bob']], 'S1: who may read record-1')
    const s2 = await post(base, '/access/v1/search/resource', checkKey, { subject: alice, action: { name: 'read' }, resource: { type: 'record' } })
    t.same([s2.status, ids(s2.json)], [200, ['record-1', 'record-2']], 'S2: what alice may read')
    const s3 = await post(base, '/access/v1/search/action', checkKey, { subject: alice, resource: { type: 'record', id: 'record-1' } })
    t.same([s3.status, ids(s3.json)], [200, ['read', 'write']], 'S3: what alice may do on record-1 (delete needs `soft`)')
    const s4 = await post(base, '/access/v1/search/subject', checkKey, { subject: { type: 'user' }, action: { name: 'write' }, resource: { type: 'record', id: 'record-2', properties: { status: 'archived' } } })
    t.same([s4.status, ids(s4.json)], [200, ['bob']], 'S4: who may write the archived record-2')
    const s5 = await post(base, '/access/v1/search/resource', checkKey, { subject: admin, action: { name: 'write' }, resource: { type: 'record' } })
    t.same([s5.status, ids(s5.json)], [200, ['record-2']], 'S5: what bob, an admin, may write')
    const s6 = await post(base, '/access/v1/search/action', checkKey, { subject: admin, resource: { type: 'record', id: 'record-2', properties: { status: 'archived' } } })
    t.same([s6.status, ids(s6.json)], [200, ['read', 'write']], 'S6: what bob, an admin, may do on the archived record-2')
    const alices = await post(base, '/access/v1/search/resource', checkKey, { subject: alice, action: { name: 'write' }, resource: { type: 'record' } })
    t.same(ids(alices.json), ['record-1'], 'alice may write the live record only: the stored status filters the search')
  })

  t.test('a subject property replaces the stored attribute for the request only', async t => {
    const write2 = { action: { name: 'write' }, resource: { type: 'record', id: 'record-2' } }
    const asUser = await post(base, '/access/v1/evaluation', checkKey, { ...write2, subject: { type: 'user', id: 'bob', properties: { role: 'user', unrelated: [1] } } })
    t.same([asUser.status, asUser.json.decision], [200, false], 'bob as a plain user may not write the archived record')
    const stored = await post(base, '/access/v1/evaluation', checkKey, { ...write2, subject: { type: 'user', id: 'bob' } })
    t.same([stored.status, stored.json.decision], [200, true], 'without properties, the stored role counts')
  })

  t.test('a declared attribute of the wrong type is a 400 naming the field', async t => {
    const subject = await post(base, '/access/v1/evaluation', checkKey, { subject: { type: 'user', id: 'bob', properties: { role: 7 } }, action: { name: 'read' }, resource: { type: 'record', id: 'record-1' } })
    t.equal(subject.status, 400)
    t.match(subject.json, { code: 'validation_failed', details: [{ path: '/subject/properties/role' }] })
    const resource = await post(base, '/access/v1/evaluation', checkKey, { subject: { type: 'user', id: 'alice' }, action: { name: 'write' }, resource: { type: 'record', id: 'record-1', properties: { status: 'closed' } } })
    t.equal(resource.status, 400)
    t.match(resource.json, { code: 'validation_failed', details: [{ path: '/resource/properties/status' }] })
    const search = await post(base, '/access/v1/search/resource', checkKey, { subject: { type: 'user', id: 'bob', properties: { role: ['admin'] } }, action: { name: 'write' }, resource: { type: 'record' } })
    t.equal(search.status, 400)
    t.match(search.json, { code: 'validation_failed', details: [{ path: '/subject/properties/role' }] })
  })
})
