/**
 * The suite loader and runner (src/service/policy-tests) in-process: how table rows,
 * subject lists and `role` cases expand, how resources are resolved (stored, inline,
 * unknown, ancestors), how reason and fields expectations are checked, and every kind of
 * suite problem with its line and column.
 */
import t from 'tap'
import type { CaseResult, LoadOptions, LoadResult, SuiteIssue, SuiteResult } from '../../src/service/policy-tests/index.js'
import { loadSuiteText, loadSuiteValue, runSuite } from '../../src/service/policy-tests/index.js'
import { compileBundle } from '../../src/engine/index.js'

const BUNDLE = `
bundle:
  version: 1
  flags: { manage_prices: see prices, delete_entities: delete things }
  modules:
    jobs:
      relations: [assignee, creator]
      assigned: [assignee]
      actions:
        view: { level: limited }
        edit: { level: management }
        delete: { level: full, flags: [delete_entities] }
      fields: { client_name: {}, price: { flags: [manage_prices] } }
    folders:
      actions: { view: { level: limited }, edit: { level: management } }
  roles:
    employee: { modules: { jobs: { access: assigned, level: limited } } }
    manager:
      flags: [manage_prices]
      modules:
        jobs: { access: all, level: full, deny: [delete] }
        folders: { access: all, level: management }
`.trimStart()

/** The text of a suite: the bundle above, then `rest` (its lines start at line 22). */
const suiteText = (rest: string): string => BUNDLE + rest.trimStart()
const BUNDLE_LINES = BUNDLE.split('\n').length - 1

function load (text: string, options: Partial<LoadOptions> = {}): LoadResult {
  return loadSuiteText(text, { file: 'suite.yaml', ...options })
}

function run (text: string): SuiteResult {
  const loaded = load(text)
  if (!loaded.ok) throw new Error(`suite did not load: ${loaded.issues.map(i => `${i.line ?? '?'}:${i.column ?? '?'} ${i.message}`).join('; ')}`)
  return runSuite(loaded.suite)
}

function issuesOf (text: string, options: Partial<LoadOptions> = {}): SuiteIssue[] {
  const loaded = load(text, options)
  return loaded.ok ? [] : loaded.issues
}

const byName = (result: SuiteResult, name: string): CaseResult | undefined => result.cases.find(c => c.name === name)

t.test('a table row expands to one case per subject and action, each at its action\'s line', async t => {
  const result = run(suiteText(`
subjects:
  marie: { roles: [employee] }
  paul: { roles: [manager] }
resources:
  - { type: jobs, id: j1, properties: { assignee: marie } }
cases:
  - subject: [marie, paul]
    resource: jobs/j1
    allow: [view]
    deny:
      - delete
`))
  const first = BUNDLE_LINES + 1
  t.same(result.cases.map(c => [c.name, c.expected.decision, c.line, c.column, c.path]), [
    ['marie may view jobs/j1', 'allow', first + 8, 13, '/cases/0/allow/0'],
    ['marie may not delete jobs/j1', 'deny', first + 10, 9, '/cases/0/deny/0'],
    ['paul may view jobs/j1', 'allow', first + 8, 13, '/cases/0/allow/0'],
    ['paul may not delete jobs/j1', 'deny', first + 10, 9, '/cases/0/deny/0']
  ])
  t.equal(result.passed, 4)
  t.same(byName(result, 'paul may not delete jobs/j1')?.actual.reason.code, 'action_denied')
})

t.test('a named row prefixes its expanded names; a single case keeps its name', async t => {
  const result = run(suiteText(`
subjects: { paul: { roles: [manager] } }
cases:
  - name: managers edit any job
    says: ["le gestionnaire modifie tous les chantiers", "managers edit every job"]
    subject: paul
    resource: { type: jobs, id: j9 }
    allow: [view, edit]
  - name: managers never delete
    subject: paul
    action: delete
    resource: { type: jobs, id: j9 }
    expect: deny
`))
  t.same(result.cases.map(c => c.name), [
    'managers edit any job: paul may view jobs/j9',
    'managers edit any job: paul may edit jobs/j9',
    'managers never delete'
  ])
  t.same(result.cases[0]?.says, ['le gestionnaire modifie tous les chantiers', 'managers edit every job'])
  t.same(result.cases[2]?.says, [])
})

t.test('a role case is a subject holding exactly that tenant-wide role', async t => {
  const result = run(suiteText(`
cases:
  - role: [employee, manager]
    resource: { type: jobs, id: j1, properties: { assignee: someone } }
    allow: [view]
`))
  t.same(result.cases.map(c => [c.name, c.subject, c.passed]), [
    ['role employee may view jobs/j1', 'role:employee', false],
    ['role manager may view jobs/j1', 'role:manager', true]
  ])
  t.equal(result.cases[0]?.actual.reason.code, 'not_in_scope')
})

t.test('reason expectations: checked, and reported as a mismatch when different', async t => {
  const result = run(suiteText(`
subjects: { marie: { roles: [employee] } }
cases:
  - name: right reason
    subject: marie
    action: delete
    resource: { type: jobs, id: j1, properties: { assignee: marie } }
    expect: deny
    reason: level_insufficient
  - name: wrong reason
    subject: marie
    action: delete
    resource: { type: jobs, id: j1, properties: { assignee: marie } }
    expect: deny
    reason: flag_missing
  - name: wrong decision and reason
    subject: marie
    action: view
    resource: { type: jobs, id: j1, properties: { assignee: marie } }
    expect: deny
    reason: not_in_scope
`))
  t.match(byName(result, 'right reason'), { passed: true, mismatches: [], actual: { reason: { code: 'level_insufficient' } } })
  t.match(byName(result, 'wrong reason'), { passed: false, mismatches: ['expected reason `flag_missing`, got `level_insufficient`'] })
  t.match(byName(result, 'wrong decision and reason'), {
    passed: false,
    mismatches: ['expected `deny`, got `allow`', 'expected reason `not_in_scope`, got `role_grant`']
  })
  t.equal(result.failed, 2)
})

t.test('fields expectations: compared as sets, each list only when given', async t => {
  const result = run(suiteText(`
subjects:
  marie: { roles: [employee] }
  paul: { roles: [manager] }
cases:
  - name: employee reads, sees no price
    subject: marie
    action: view
    resource: { type: jobs, id: j1, properties: { assignee: marie } }
    expect: allow
    fields: { visible: [client_name], editable: [] }
  - name: manager edits both, in any order
    subject: paul
    action: view
    resource: { type: jobs, id: j1 }
    expect: allow
    fields: { editable: [price, client_name] }
  - name: wrong visible list
    subject: marie
    action: view
    resource: { type: jobs, id: j1, properties: { assignee: marie } }
    expect: allow
    fields: { visible: [client_name, price] }
  - name: fields expected but denied
    subject: marie
    action: view
    resource: { type: jobs, id: j2 }
    expect: allow
    fields: { visible: [client_name] }
  - name: a table row checks fields on its allowed actions
    subject: paul
    resource: { type: jobs, id: j1 }
    allow: [view, edit]
    deny: [delete]
    fields: { visible: [client_name, price] }
`))
  t.match(byName(result, 'employee reads, sees no price'), { passed: true, actual: { fields: { visible: ['client_name'], editable: [] } } })
  t.match(byName(result, 'manager edits both, in any order'), { passed: true })
  t.match(byName(result, 'wrong visible list'), { passed: false, mismatches: ['expected visible fields `[client_name, price]`, got `[client_name]`'] })
  t.match(byName(result, 'fields expected but denied'), {
    passed: false,
    mismatches: ['expected `allow`, got `deny`', 'expected visible fields `[client_name]`, got a decision without fields']
  })
  const row = result.cases.filter(c => c.name.startsWith('a table row'))
  t.same(row.map(c => [c.action, c.expected.fields, c.passed]), [
    ['view', { visible: ['client_name', 'price'] }, true],
    ['edit', { visible: ['client_name', 'price'] }, true],
    ['delete', undefined, true]
  ])
})

t.test('resources are resolved as the HTTP API resolves them', async t => {
  const result = run(suiteText(`
subjects:
  marie: { roles: [employee], aliases: [marie@example.com], groups: [crew-a] }
resources:
  - { type: jobs, id: j1, properties: { assignee: marie } }
  - { type: jobs, id: j2, properties: { assignee: [other, group:crew-a] } }
cases:
  - { name: stored by type/id, subject: marie, action: view, resource: jobs/j1, expect: allow }
  - { name: stored by type and id, subject: marie, action: view, resource: { type: jobs, id: j1 }, expect: allow }
  - { name: properties replace the stored ones, subject: marie, action: view, resource: { type: jobs, id: j1, properties: { assignee: other } }, expect: deny }
  - { name: an id nothing stores has no properties, subject: marie, action: view, resource: { type: jobs, id: j7 }, expect: deny, reason: not_in_scope }
  - { name: inline without id, subject: marie, action: view, resource: { type: jobs, properties: { assignee: marie@example.com } }, expect: allow }
  - { name: a group member is assigned, subject: marie@example.com, action: view, resource: jobs/j2, expect: allow }
`))
  t.equal(result.failed, 0, JSON.stringify(result.cases.filter(c => !c.passed).map(c => [c.name, c.actual.reason])))
  t.same(result.cases.map(c => c.resource.label), ['jobs/j1', 'jobs/j1', 'jobs/j1', 'jobs/j7', 'jobs (inline)', 'jobs/j2'])
  t.same(byName(result, 'inline without id')?.resource, { type: 'jobs', id: '(inline)', label: 'jobs (inline)' })
  t.equal(byName(result, 'a group member is assigned')?.subject, 'marie@example.com')
})

t.test('ACLs are inherited through parent, among the suite\'s resources, cycles included', async t => {
  const result = run(suiteText(`
subjects:
  marie: { roles: [], groups: [crew-a] }
  paul: { roles: [manager] }
resources:
  - { type: folders, id: root, properties: { project: site-1, acl: [{ who: group:crew-a, allow: [view] }] } }
  - { type: folders, id: sub, properties: { parent: root } }
  - { type: folders, id: leaf, properties: { parent: sub } }
  - { type: folders, id: a, properties: { parent: b } }
  - { type: folders, id: b, properties: { parent: a } }
cases:
  - { name: inherited two levels up, subject: marie, action: view, resource: folders/leaf, expect: allow, reason: acl_allow }
  - { name: the ACL replaces the manager's role, subject: paul, action: edit, resource: folders/leaf, expect: deny, reason: acl_deny }
  - { name: an inline resource inherits too, subject: marie, action: view, resource: { type: folders, properties: { parent: sub } }, expect: allow }
  - { name: a parent cycle ends, subject: paul, action: edit, resource: folders/a, expect: allow, reason: role_grant }
`))
  t.equal(result.failed, 0, JSON.stringify(result.cases.filter(c => !c.passed).map(c => [c.name, c.actual.reason])))
  t.match(byName(result, 'inherited two levels up')?.actual.reason.message, /the ACL of `root` \(inherited by `leaf`\)/)
})

t.test('subjects: status, login, owner and overrides are read', async t => {
  const result = run(suiteText(`
subjects:
  ines: { roles: [manager], status: inactive }
  rob: { roles: [manager], login: false }
  boss: { owner: true }
  theo: { roles: [employee], overrides: { flags: { delete_entities: true }, modules: { jobs: { access: all, level: full } } } }
cases:
  - { subject: ines, action: view, resource: { type: jobs, id: j1 }, expect: deny, reason: subject_inactive }
  - { subject: rob, action: view, resource: { type: jobs, id: j1 }, expect: deny, reason: subject_login_disabled }
  - { subject: boss, action: delete, resource: { type: jobs, id: j1 }, expect: allow, reason: owner, fields: { editable: [client_name, price] } }
  - { subject: theo, action: delete, resource: { type: jobs, id: j1 }, expect: allow, reason: override_grant }
  - { subject: boss, action: fly, resource: { type: jobs, id: j1 }, expect: deny, reason: action_unknown }
  - { subject: boss, action: fly, resource: { type: trucks, id: t1 }, expect: deny, reason: module_unknown }
`))
  t.equal(result.failed, 0, JSON.stringify(result.cases.filter(c => !c.passed).map(c => [c.name, c.actual.reason])))
})

t.test('a suite given as a parsed value: issues carry paths but no lines', async t => {
  const loaded = loadSuiteValue({ bundle: { version: 1, modules: {}, roles: {} }, cases: [{ subject: 'x', action: 'a', resource: 'm/1', expect: 'allow' }] }, { file: 'body' })
  t.equal(loaded.ok, false)
  if (loaded.ok) return
  t.same(loaded.issues.map(i => [i.file, i.path, i.code, i.line]), [
    ['body', '/cases/0/subject', 'unknown_subject', undefined],
    ['body', '/cases/0/resource', 'unknown_resource', undefined]
  ])
})

t.test('options.policy replaces the suite\'s bundle, which is then not read', async t => {
  const compiled = compileBundle({ version: 1, modules: { m: { actions: { a: { level: 'limited' } } } }, roles: { r: { modules: { m: { access: 'all', level: 'limited' } } } } })
  if (!compiled.ok) throw new Error('fixture bundle')
  const loaded = loadSuiteValue({ bundle: './nowhere.yaml', subjects: { u: { roles: ['r'] } }, cases: [{ subject: 'u', action: 'a', resource: { type: 'm', id: '1' }, expect: 'allow' }] },
    { file: 'body', policy: compiled.policy })
  t.equal(loaded.ok, true)
  if (loaded.ok) t.equal(runSuite(loaded.suite).passed, 1)
  const without = loadSuiteValue({ subjects: {}, cases: [{ role: 'r', action: 'a', resource: { type: 'm' }, expect: 'allow' }] }, { file: 'body', policy: compiled.policy })
  t.equal(without.ok, true, 'bundle is optional then')
})

t.test('bundle files: read through readBundle, their problems reported in their own file', async t => {
  const files: Record<string, string> = {
    'dir/good.yaml': 'version: 1\nmodules:\n  m:\n    actions: { a: { level: limited } }\nroles: {}\n',
    'dir/bad.yaml': 'version: 1\nmodules:\n  m:\n    actions: { a: { level: top } }\nroles: {}\n',
    'dir/broken.yaml': 'version: 1\nmodules: [\n'
  }
  const readBundle: LoadOptions['readBundle'] = path => {
    const file = `dir/${path.replace(/^\.\//, '')}`
    const text = files[file]
    return text === undefined ? { ok: false, message: 'no such file' } : { ok: true, file, text }
  }
  const suite = (bundle: string): string => `bundle: ${bundle}\ncases:\n  - { role: x, action: a, resource: { type: m }, expect: deny }\n`
  const good = load(suite('./good.yaml'), { readBundle })
  t.equal(good.ok, false, 'role x is unknown')
  if (!good.ok) t.same(good.issues.map(i => [i.file, i.line, i.column, i.code]), [['suite.yaml', 3, 13, 'unknown_role']])
  t.same(issuesOf(suite('./bad.yaml'), { readBundle }).map(i => [i.file, i.line, i.column, i.code]), [['dir/bad.yaml', 4, 28, 'invalid_level']])
  t.same(issuesOf(suite('./broken.yaml'), { readBundle }).map(i => [i.file, i.line, i.code]), [['dir/broken.yaml', 3, 'syntax_error']])
  t.same(issuesOf(suite('./none.yaml'), { readBundle }).map(i => [i.file, i.line, i.column, i.message]),
    [['suite.yaml', 1, 9, 'cannot read bundle `./none.yaml`: no such file']])
  t.same(issuesOf(suite('./good.yaml')).map(i => [i.code, i.message]),
    [['bundle_path_unsupported', 'bundle `./good.yaml` is a path, and no files can be read here: give the bundle inline']])
})

interface IssueCase {
  name: string
  /** Lines after the bundle; the first is line 1 of `want`. */
  rest: string
  want: Array<[line: number, column: number, code: string, message: string | RegExp]>
}

/** Every kind of suite problem, located. Lines in `want` count from the first line of `rest`. */
const issueCases: IssueCase[] = [
  {
    name: 'unknown keys at every level',
    rest: `
subjects: { marie: { roles: [employee], id: m } }
resources: [{ type: jobs, id: j1, props: {} }]
cases:
  - { subject: marie, action: view, resource: { type: jobs, id: j1, kind: x }, expect: allow, expected: deny }
tests: []`,
    want: [
      [1, 41, 'unknown_property', 'subject `marie`: unknown property `id`: the entry\'s key is the subject id'],
      [2, 35, 'unknown_property', 'unknown property `props` in `resources[0]`: expected `type`, `id`, `properties`'],
      [4, 69, 'unknown_property', /^unknown property `kind` in the resource of a case/],
      [4, 95, 'unknown_property', /^unknown property `expected` in `cases\[0\]`: expected `name`, `says`/],
      [5, 1, 'unknown_property', /^unknown property `tests` in the suite/]
    ]
  },
  {
    name: 'unknown subjects, resources and roles referenced by cases',
    rest: `
subjects: { marie: { roles: [employee] }, paul: { roles: [manager] } }
resources: [{ type: jobs, id: j1 }]
cases:
  - { subject: [marie, mary], action: view, resource: jobs/j2, expect: allow }
  - { role: chief, action: view, resource: jobs/j1, expect: allow }`,
    want: [
      [4, 24, 'unknown_subject', 'unknown subject `mary`: the suite declares `marie`, `paul`'],
      [4, 55, 'unknown_resource', /^unknown resource `jobs\/j2`: a `type\/id` string names one of the suite's `resources`/],
      [5, 13, 'unknown_role', 'unknown role `chief`']
    ]
  },
  {
    name: 'unknown modules, actions and fields, unless the case tests them',
    rest: `
subjects: { marie: { roles: [employee] } }
cases:
  - { subject: marie, action: view, resource: { type: trucks }, expect: deny }
  - { subject: marie, resource: { type: jobs }, allow: [view, veiw] }
  - { subject: marie, action: veiw, resource: { type: jobs }, expect: deny, fields: { visible: [prise] } }
  - { subject: marie, action: view, resource: { type: folders }, expect: allow, fields: { visible: [] } }`,
    want: [
      [3, 55, 'unknown_module', 'unknown module `trucks` (a case testing an unknown module expects reason `module_unknown`)'],
      [4, 63, 'unknown_action', 'unknown action `veiw` in module `jobs` (a case testing an unknown action expects reason `action_unknown`)'],
      [5, 31, 'unknown_action', /^unknown action `veiw` in module `jobs`/],
      [5, 77, 'conflicting_expectation', '`fields` are checked on allowed decisions, and this case expects `deny`'],
      [5, 97, 'unknown_field', 'unknown field `prise` in module `jobs`'],
      [6, 81, 'unknown_field', 'module `folders` declares no fields']
    ]
  },
  {
    name: 'contradictory and malformed expectations',
    rest: `
subjects: { marie: { roles: [employee] } }
cases:
  - { subject: marie, action: view, resource: { type: jobs }, expect: allow, reason: not_in_scope }
  - { subject: marie, resource: { type: jobs }, allow: [view], deny: [view, edit], reason: role_grant }
  - { subject: marie, action: view, resource: { type: jobs }, expect: yes }
  - { subject: marie, action: view, resource: { type: jobs }, expect: allow, reason: because }
  - { subject: marie, action: view, resource: { type: jobs }, allow: [view] }
  - { subject: marie, resource: { type: jobs } }
  - { subject: marie, resource: { type: jobs }, allow: [] , fields: {} }
  - { subject: marie, role: employee, action: view, resource: { type: jobs }, expect: allow }`,
    want: [
      [3, 86, 'conflicting_expectation', 'reason `not_in_scope` comes with `deny`, but the case expects `allow` for `view`'],
      [4, 71, 'conflicting_expectation', 'action `view` is in both `allow` and `deny`'],
      [4, 92, 'conflicting_expectation', 'reason `role_grant` comes with `allow`, but the case expects `deny` for `view`: split the row by expectation'],
      [5, 71, 'invalid_value', 'invalid expectation `yes`: expected `allow` or `deny`'],
      [6, 86, 'unknown_reason', /^unknown reason `because`: expected one of `subject_unknown`, /],
      [7, 31, 'invalid_value', 'a case has either `action` and `expect`, or `allow` / `deny` lists, not both'],
      [8, 5, 'missing_property', 'a case needs `action` and `expect`, or `allow` / `deny` lists'],
      [9, 49, 'invalid_value', '`allow` must not be an empty list'],
      [9, 61, 'missing_property', '`fields` must give `visible`, `editable` or both'],
      [10, 29, 'invalid_value', 'a case names `subject` or `role`, not both']
    ]
  },
  {
    name: 'subjects and resources are checked against the policy',
    rest: `
subjects:
  marie: { roles: [employe], projects: { site-1: [boss] }, status: gone }
  paul: { roles: [manager], aliases: [marie, p@x] }
  pierre: { aliases: [p@x] }
resources:
  - { type: jobs, id: j1, properties: { asignee: marie, parent: j0 } }
  - { type: jobs, id: j2, properties: { assignee: marie, parent: j0 } }
  - { type: jobz, id: j1 }
  - { type: jobs, id: j2 }
cases:
  - { subject: marie, action: view, resource: { type: jobs, properties: { creator: [1] } }, expect: deny }`,
    want: [
      [2, 20, 'unknown_role', 'subject `marie`: unknown role `employe`'],
      [2, 51, 'unknown_role', 'subject `marie`: unknown role `boss` in project `site-1`'],
      [2, 68, 'invalid_value', /^subject `marie`: invalid status `gone`/],
      [3, 39, 'duplicate_alias', 'alias `marie` of subject `paul` is the id of subject `marie`'],
      [4, 23, 'duplicate_alias', 'alias `p@x` of subject `pierre` already names subject `paul`'],
      [6, 41, 'unknown_property', /^resource `jobs\/j1`: unknown property `asignee` in a resource of module `jobs`/],
      [7, 66, 'unknown_parent', 'parent `j0` of `jobs/j2` is not a resource of module `jobs` in the suite'],
      [8, 13, 'unknown_module', 'resource `jobz/j1`: unknown module `jobz`'],
      [9, 23, 'duplicate_resource', 'resource `jobs/j2` is declared twice (`resources[1]` and `resources[3]`)'],
      [11, 85, 'invalid_type', /^the resource of a case: values of relation `creator` must be non-empty strings, not a number/]
    ]
  },
  {
    name: 'shapes',
    rest: `
subjects: [marie]
resources: { j1: {} }
cases:
  - 42
  - { subject: 7, action: view, resource: 12, expect: allow, name: '', says: [] }
  - { subject: [marie, marie], action: view, resource: { type: '' }, expect: allow }`,
    want: [
      [1, 1, 'invalid_type', '`subjects` must be an object, not a list'],
      [2, 1, 'invalid_type', '`resources` must be a list, not an object'],
      [4, 5, 'invalid_type', '`cases[0]` must be an object, not a number'],
      [5, 16, 'invalid_type', '`subject` must be a string or a list of strings, not a number'],
      [5, 43, 'invalid_type', '`resource` must be a `type/id` string or an object, not a number'],
      [5, 68, 'invalid_value', '`name` of `cases[1]` must not be empty'],
      [5, 72, 'invalid_value', '`says` must not be an empty list'],
      [6, 17, 'unknown_subject', 'unknown subject `marie`: the suite declares no subjects'],
      [6, 24, 'duplicate_entry', 'duplicate entry `marie` in `subject`'],
      [6, 64, 'invalid_value', '`type` of the resource of a case must not be empty']
    ]
  }
]

t.test('suite problems are reported with line, column, code and message', async t => {
  for (const c of issueCases) {
    await t.test(c.name, async t => {
      const issues = issuesOf(suiteText(c.rest))
      const got = issues.map(i => [i.line === undefined ? undefined : i.line - BUNDLE_LINES, i.column, i.code, i.message])
      t.equal(got.length, c.want.length, JSON.stringify(got, null, 1))
      for (const [i, want] of c.want.entries()) {
        t.match(got[i], want, `issue ${i}: ${JSON.stringify(got[i])}`)
        t.equal(issues[i]?.file, 'suite.yaml')
      }
    })
  }
})

t.test('problems of the suite as a whole', async t => {
  t.same(issuesOf('').map(i => [i.line, i.message]), [[1, 'the suite must be an object, not null']])
  t.same(issuesOf('- a\n').map(i => i.message), ['the suite must be an object, not a list'])
  t.same(issuesOf('name: x\n').map(i => [i.code, i.message]), [
    ['missing_property', 'the suite lacks required property `bundle`'],
    ['missing_property', 'the suite lacks required property `cases`']
  ])
  t.same(issuesOf('bundle: 3\ncases: []\n').map(i => [i.line, i.column, i.code]), [[1, 9, 'invalid_type'], [2, 1, 'no_cases']])
  t.same(issuesOf('bundle: { version: 2, modules: {}, roles: {} }\ncases: [{ role: r, action: a, resource: m/1, expect: allow }]\n').map(i => [i.line, i.column, i.code]),
    [[1, 20, 'unsupported_version'], [2, 41, 'unknown_resource']], 'inline bundle issues are located in the suite')
  const dup = issuesOf('bundle: {}\nbundle: {}\ncases: []\n')
  t.same(dup.map(i => [i.line, i.column, i.code, i.message]), [[2, 1, 'syntax_error', 'invalid yaml: map keys must be unique']])
  const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${Array(10).fill('*a').join(', ')}]\nc: &c [${Array(10).fill('*b').join(', ')}]\n`
  t.match(issuesOf(bomb), [{ line: 1, column: 1, code: 'syntax_error', message: /^invalid yaml: excessive alias count/ }])
  t.same(issuesOf('{ "bundle": 1 }\n---\n{}\n').map(i => i.code), ['syntax_error'], 'several documents')
})

t.test('JSON suites load like YAML ones, with positions', async t => {
  const json = JSON.stringify({
    bundle: { version: 1, modules: { m: { actions: { a: { level: 'limited' } } } }, roles: { r: { modules: { m: { access: 'all', level: 'limited' } } } } },
    cases: [{ role: 'r', action: 'a', resource: { type: 'm' }, expect: 'allow' }, { role: 'r', action: 'b', resource: { type: 'm' }, expect: 'deny' }]
  }, null, 2)
  const issues = issuesOf(json)
  const line = json.split('\n').findIndex(l => l.includes('"b"')) + 1
  t.same(issues.map(i => [i.line, i.code]), [[line, 'unknown_action']])
})

t.test('a type/id reference that two resources match is ambiguous; { type, id } settles it', async t => {
  const bundle = 'bundle:\n  version: 1\n  modules:\n    a: { actions: { view: { level: limited } } }\n    a/b: { actions: { view: { level: limited } } }\n  roles:\n    r: { modules: { a: { access: all, level: limited } } }\n'
  const resources = 'resources:\n  - { type: a/b, id: c }\n  - { type: a, id: b/c }\n'
  const ambiguous = issuesOf(`${bundle}${resources}cases:\n  - { role: r, action: view, resource: a/b/c, expect: allow }\n`)
  t.same(ambiguous.map(i => [i.line, i.column, i.code, i.message]), [
    [12, 40, 'ambiguous_resource', 'resource `a/b/c` is ambiguous: it names `c` of module `a/b` and `b/c` of module `a`; write `{ type, id }`']
  ])
  const settled = run(`${bundle}${resources}cases:\n  - { role: r, action: view, resource: { type: a, id: b/c }, expect: allow }\n  - { role: r, action: view, resource: { type: a/b, id: c }, expect: deny, reason: no_grant }\n`)
  t.equal(settled.failed, 0)
})

t.test('conditions: a case gives action properties, context and subject properties, as an AuthZEN request would', async t => {
  const text = `
bundle:
  version: 1
  subject_attributes: { limit: number }
  modules:
    invoices:
      relations: [author]
      attributes: { status: { enum: [draft, closed] }, amount: number }
      actions:
        view: { level: limited }
        edit: { level: management, when: "resource.status != 'closed'" }
        approve: { level: management }
        set_status: { level: management }
  roles:
    clerk:
      modules:
        invoices:
          access: all
          level: management
          when:
            approve: "resource.amount <= subject.limit"
            set_status: "!has(action.status) || action.status != 'closed' || subject.id in resource.author"
            view: "!has(context.channel) || context.channel == 'web'"
subjects:
  ann: { roles: [clerk], attributes: { limit: 100 } }
resources:
  - { type: invoices, id: i-1, properties: { author: bob, status: draft, amount: 150 } }
cases:
  - { name: stored limit, subject: ann, resource: invoices/i-1, action: approve, expect: deny, reason: condition_failed }
  - { name: request limit, subject: ann, resource: invoices/i-1, action: approve, expect: allow, subject_properties: { limit: 200, undeclared: x } }
  - { name: a status other than closed, subject: ann, resource: invoices/i-1, action: set_status, expect: allow, action_properties: { status: sent } }
  - { name: closed by someone else, subject: ann, resource: invoices/i-1, action: set_status, expect: deny, action_properties: { status: closed } }
  - { name: no status given, subject: ann, resource: invoices/i-1, action: set_status, expect: allow }
  - { name: from the web, subject: ann, resource: invoices/i-1, action: view, expect: allow, context: { channel: web } }
  - { name: from elsewhere, subject: ann, resource: invoices/i-1, action: view, expect: deny, context: { channel: api } }
  - name: a closed invoice is edited by nobody
    subject: ann
    resource: { type: invoices, id: i-2, properties: { status: closed, amount: 1 } }
    action: edit
    expect: deny
    reason: condition_failed
`
  const result = run(text)
  for (const c of result.cases) t.ok(c.passed, `${c.name}: ${c.mismatches.join('; ')} (${c.actual.reason.code}: ${c.actual.reason.message})`)
  t.equal(result.cases.length, 8)

  const bad = issuesOf(text.replace('subject_properties: { limit: 200, undeclared: x }', 'subject_properties: { limit: lots }').replace('context: { channel: web }', 'context: web'))
  t.same(bad.map(i => [i.path, i.code]), [['/cases/1/subject_properties/limit', 'invalid_type'], ['/cases/5/context', 'invalid_type']])
  t.match(bad[0]?.message, /^`subject_properties`: /)
})
