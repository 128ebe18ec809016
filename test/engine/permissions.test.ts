/** The permissions matrix (issue 4): scope, sources and fields per module x action, each cell asked of `decide`. */
import t from 'tap'
import { compileBundle, decide, permissionMatrix } from '../../src/engine/index.js'
import type { CompiledPolicy, Subject } from '../../src/engine/index.js'

const compiled = compileBundle({
  version: 1,
  flags: { prices: 'see prices', del: 'delete' },
  modules: {
    jobs: {
      relations: ['assignee', 'creator'],
      assigned: ['assignee'],
      actions: { view: { level: 'limited' }, edit: { level: 'management' }, delete: { level: 'full', flags: ['del'] } },
      fields: { client_name: {}, price: { flags: ['prices'] } }
    },
    files: { relations: ['creator'], actions: { read: { level: 'limited' }, close: { level: 'limited' } } }
  },
  roles: {
    employee: { modules: { jobs: { access: 'assigned', level: 'limited' }, files: { access: 'all', level: 'limited', scope: { close: ['creator'] } } } },
    manager: { flags: ['prices'], modules: { jobs: { access: 'all', level: 'full', deny: ['delete'] } } },
    foreman: { modules: { jobs: { access: 'all', level: 'management' } } },
    boss: { all: true }
  }
})
if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
const policy: CompiledPolicy = compiled.policy

const cellOf = (subject: Subject, module: string, action: string, project?: string) => {
  const m = permissionMatrix(policy, subject)
  const cells = project === undefined ? m.cells : m.projects[project]?.cells
  return cells?.find(c => c.module === module && c.action === action)
}

const marie: Subject = { id: 'marie', roles: ['employee'], overrides: { modules: { jobs: { allow: ['edit'] } } }, projects: { 'site-1': ['foreman'] } }
const paul: Subject = { id: 'paul', roles: ['manager', 'employee'], overrides: { flags: { del: true } } }

const cases: Array<[string, Subject, string, string, string | undefined, unknown]> = [
  ['assigned access reaches through the assigned relation only', marie, 'jobs', 'view', undefined,
    { scope: ['assignee'], sources: ['employee'], fields: { visible: ['client_name'], editable: [] } }],
  ['an override allow is marked custom', marie, 'jobs', 'edit', undefined, { scope: ['assignee'], sources: ['custom'] }],
  ['a level too low reaches nothing', marie, 'jobs', 'delete', undefined, { scope: 'none', sources: [] }],
  ['a per-action scope narrows one action', marie, 'files', 'close', undefined, { scope: ['creator'], sources: ['employee'] }],
  ['all access reaches every resource', marie, 'files', 'read', undefined, { scope: 'all', sources: ['employee'] }],
  ['a project role applies in its project, named with it', marie, 'jobs', 'view', 'site-1',
    { scope: 'all', sources: ['site-1:foreman'], fields: { visible: ['client_name'], editable: ['client_name'] } }],
  ['several roles: each granting one is a source', paul, 'files', 'read', undefined, { scope: 'all', sources: ['employee'] }],
  ['the flagged field shows with the flag', paul, 'jobs', 'view', undefined,
    { scope: 'all', sources: ['manager'], fields: { visible: ['client_name', 'price'], editable: ['client_name', 'price'] } }],
  ['a deny wins over a flag an override sets', paul, 'jobs', 'delete', undefined, { scope: 'none', sources: [] }],
  ['an override removing an action is marked custom', { id: 'ann', roles: ['employee'], overrides: { modules: { files: { deny: ['read'] } } } }, 'files', 'read', undefined, { scope: 'none', sources: ['custom'] }],
  ['the owner', { id: 'own', roles: [], owner: true }, 'jobs', 'delete', undefined, { scope: 'all', sources: ['owner'] }],
  ['a role with all', { id: 'bo', roles: ['boss'] }, 'jobs', 'delete', undefined, { scope: 'all', sources: ['boss'] }],
  ['an inactive subject reaches nothing', { id: 'ina', roles: ['boss'], status: 'inactive' }, 'jobs', 'view', undefined, { scope: 'none', sources: [] }],
  ['login: false reaches nothing', { id: 'van', roles: ['boss'], login: false }, 'jobs', 'view', undefined, { scope: 'none', sources: [] }],
  ['aliases and groups: the role is still a source', { id: 'al', roles: ['employee'], aliases: ['al@x'], groups: ['crew'] }, 'jobs', 'view', undefined,
    { scope: ['assignee'], sources: ['employee'] }]
]

for (const [name, subject, module, action, project, want] of cases) {
  t.test(name, async t => {
    t.match(cellOf(subject, module, action, project), want)
  })
}

const flagCases: Array<[string, Subject, { flags: string[], projects: Record<string, string[]> }]> = [
  ['from the roles, set by an override', paul, { flags: ['del', 'prices'], projects: {} }],
  ['cleared by an override', { id: 'x', roles: ['manager'], overrides: { flags: { prices: false } } }, { flags: [], projects: {} }],
  ['an undeclared or non-boolean override flag changes nothing', { id: 'u', roles: ['manager'], overrides: { flags: { nope: true, del: 'yes' as unknown as boolean } } },
    { flags: ['prices'], projects: {} }],
  ['a project role gives its flags in its project only', { id: 'p', roles: [], projects: { 'site-2': ['manager'] } }, { flags: [], projects: { 'site-2': ['prices'] } }],
  ['an override clears a flag a project role gives', { id: 'q', roles: [], projects: { 'site-2': ['manager'] }, overrides: { flags: { prices: false } } },
    { flags: [], projects: { 'site-2': [] } }],
  ['a project without roles gets no matrix', { id: 'e', roles: ['manager'], projects: { empty: [], 'site-1': ['foreman'] } },
    { flags: ['prices'], projects: { 'site-1': ['prices'] } }],
  ['projects that are not an object are none', { id: 'n', roles: [], projects: ['site-1'] as unknown as Record<string, string[]> }, { flags: [], projects: {} }]
]

for (const [name, subject, want] of flagCases) {
  t.test(`flags: ${name}`, async t => {
    const m = permissionMatrix(policy, subject)
    t.same({ flags: m.flags, projects: Object.fromEntries(Object.entries(m.projects).map(([p, v]) => [p, v.flags])) }, want)
  })
}

t.test('every cell agrees with decide on a resource reached through its scope', async t => {
  for (const subject of [marie, paul, { id: 'q', roles: ['foreman', 'employee'] }]) {
    for (const c of permissionMatrix(policy, subject).cells) {
      const relations = c.scope === 'all' || c.scope === 'none' ? {} : { [c.scope[0] as string]: [subject.id] }
      const allowed = decide(policy, { subject, action: c.action, resource: { module: c.module, id: 'r', relations } }).allowed
      t.equal(allowed, c.scope !== 'none', `${subject.id} ${c.module}.${c.action}`)
    }
  }
})

// Conditions: a cell granted under a condition shows it (as the policy diff writes it), and no fields.
const invoicesBundle = compileBundle({
  version: 1,
  modules: {
    invoices: {
      relations: ['author'],
      attributes: { status: { enum: ['draft', 'sent', 'locked'] }, amount: 'number' },
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management', when: "resource.status != 'locked'" },
        approve: { level: 'full' }
      },
      fields: { amount: {} }
    }
  },
  roles: {
    clerk: { modules: { invoices: { access: ['author'], level: 'full', when: { approve: 'resource.amount <= 100.0' } } } },
    auditor: { modules: { invoices: { access: 'all', level: 'limited' } } },
    chief: { modules: { invoices: { access: 'all', level: 'full' } } }
  }
})
if (!invoicesBundle.ok) throw new Error(JSON.stringify(invoicesBundle.issues))
const invoices: CompiledPolicy = invoicesBundle.policy
const invoiceCell = (subject: Subject, action: string) =>
  permissionMatrix(invoices, subject).cells.find(c => c.module === 'invoices' && c.action === action)

const conditionCases: Array<[string, Subject, string, unknown]> = [
  ['an action condition applies to every grant', { id: 'c', roles: ['chief'] }, 'edit',
    { scope: 'all', when: "resource.status != 'locked'", sources: ['chief'], fields: undefined }],
  ['a grant condition on its own scope', { id: 'k', roles: ['clerk'] }, 'approve',
    { scope: ['author'], when: 'resource.amount <= 100.0', sources: ['clerk'], fields: undefined }],
  ['a plain grant wider than a conditional one: no condition', { id: 'b', roles: ['clerk', 'chief'] }, 'approve',
    { scope: 'all', sources: ['chief'], fields: { visible: ['amount'], editable: ['amount'] } }],
  ['an override widening a role is custom; the role, reaching less alone, is no source', { id: 'm', roles: ['clerk'], overrides: { modules: { invoices: { access: 'all', level: 'limited' } } } }, 'view',
    { scope: 'all', sources: ['custom'] }],
  ['an override condition narrows what it grants, and is custom', { id: 'o', roles: ['auditor'], overrides: { modules: { invoices: { level: 'full', when: { approve: "resource.status == 'sent'" } } } } }, 'approve',
    { scope: 'all', when: "resource.status == 'sent'", sources: ['custom'] }],
  ['without the grant, no condition and nothing reached', { id: 'a', roles: ['auditor'] }, 'approve', { scope: 'none', sources: [] }]
]

for (const [name, subject, action, want] of conditionCases) {
  t.test(`conditions: ${name}`, async t => {
    t.match(invoiceCell(subject, action), want)
  })
}

t.test('conditions: a conditional cell agrees with decide on resources that meet and miss its condition', async t => {
  const chief: Subject = { id: 'c', roles: ['chief'] }
  const cell = invoiceCell(chief, 'edit')
  t.equal(cell?.when, "resource.status != 'locked'")
  const decideOn = (status: string) => decide(invoices, { subject: chief, action: 'edit', resource: { module: 'invoices', id: 'i', relations: {}, attributes: { status } } }).allowed
  t.equal(decideOn('draft'), true)
  t.equal(decideOn('locked'), false)
})
