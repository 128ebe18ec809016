/**
 * Issue 14, acceptance: a bundle with bad conditions is refused whole, over HTTP, with
 * each problem's path, line and column (YAML) or path (JSON), and nothing is written.
 * Every kind of bad condition is here once: a typo, an unknown attribute, a type mismatch,
 * a function outside the subset, a condition that cannot be planned, a syntax error.
 */
import t from 'tap'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'

/** The module both bundles declare, up to its actions (10 lines). */
const MODULE_HEAD = `version: 1
subject_attributes:
  approval_limit: number
modules:
  invoices:
    relations: [responsible]
    attributes:
      status: { enum: [draft, locked] }
      amount: number
    actions:
`

/** Line numbers below count from 1 in this text; each `when` value starts at column 29 or 22. */
const BAD_YAML = `${MODULE_HEAD}      view:    { level: limited, when: "resource.statuss != 'locked'" }
      edit:    { level: limited, when: "resource.amount == 'big'" }
      approve: { level: limited, when: "resource.status.matches('^l')" }
      lock:    { level: limited, when: "resource.amount < resource.amount" }
      send:    { level: limited, when: "resource.status ==" }
roles:
  clerk:
    modules:
      invoices: { access: all, level: limited, when: { view: "subject.approval_limit > 'x'" } }
`

/** Each problem as the response must name it: the pointer, its line and column, and what the message says. */
const EXPECTED: Array<{ path: string, line: number, message: RegExp }> = [
  { path: '/modules/invoices/actions/view/when', line: 11, message: /statuss/ },
  { path: '/modules/invoices/actions/edit/when', line: 12, message: /.+/ },
  { path: '/modules/invoices/actions/approve/when', line: 13, message: /matches|function|supported/ },
  { path: '/modules/invoices/actions/lock/when', line: 14, message: /plan|resource/ },
  { path: '/modules/invoices/actions/send/when', line: 15, message: /.+/ },
  { path: '/roles/clerk/modules/invoices/when/view', line: 19, message: /.+/ }
]

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)

  await t.test('a YAML bundle with bad conditions is refused whole, each problem at its path, line and column', async t => {
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    const before = await revisionOf(app, rootKey, tenant)
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: BAD_YAML, headers: { 'content-type': 'application/yaml' } })
    t.equal(res.statusCode, 400, res.body)
    const body = res.json()
    t.equal(body.code, 'policy_invalid')
    const details = body.details as Array<{ path: string, line?: number, col?: number, message: string, code: string }>
    for (const want of EXPECTED) {
      const got = details.find(d => d.path === want.path)
      if (got === undefined) { t.fail(`no problem reported at ${want.path}`, { details }); continue }
      t.equal(got.code, 'invalid_condition', `${want.path}: invalid_condition`)
      t.equal(got.line, want.line, `${want.path}: its line`)
      t.ok(typeof got.col === 'number' && got.col > 1, `${want.path}: its column`)
      t.match(got.message, want.message, `${want.path}: says why`)
      t.match(body.message, got.message.slice(0, 20), `${want.path}: the message names it too`)
    }
    t.equal(details.filter(d => d.code === 'invalid_condition').length, EXPECTED.length, 'one problem per bad condition, none invented')
    t.equal(await revisionOf(app, rootKey, tenant), before, 'nothing written')
    t.equal((await call(app, 'GET', `/v1/tenants/${tenant}/policy`, { key: adminKey })).statusCode, 404, 'still no policy')
  })

  await t.test('the same bundle as JSON is refused with the same paths', async t => {
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    const { parse } = await import('yaml')
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: parse(BAD_YAML) })
    t.equal(res.statusCode, 400, res.body)
    const paths = (res.json().details as Array<{ path: string }>).map(d => d.path).sort()
    t.same(paths, EXPECTED.map(e => e.path).sort())
  })

  await t.test('the same module with good conditions is accepted', async t => {
    const { tenant, adminKey } = await setupTenant(t, app, rootKey)
    const good = `${MODULE_HEAD}      view: { level: limited, when: "resource.status != 'locked'" }
roles:
  clerk:
    modules:
      invoices: { access: all, level: limited, when: { view: "resource.amount <= subject.approval_limit" } }
`
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: adminKey, body: good, headers: { 'content-type': 'application/yaml' } })
    t.equal(res.statusCode, 200, res.body)
  })
})
