/**
 * The template bundles (DESIGN.md §6, issue 5): each src/templates/<name>/bundle.yaml
 * compiles, and defines the roles and modules that issue 5 lists for its seed.
 */
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { compileBundle } from '../../src/engine/index.js'

const templatesDir = fileURLToPath(new URL('../../src/templates/', import.meta.url))

interface Expected {
  roles: string[]
  /** The role that may do everything: `all: true` and protected. */
  superRole: string
  /**
   * A protected administrator that is not `all: true` (whose toggles must apply, seed 004),
   * and instead holds every module at level `full`.
   */
  fullRole?: string
  modules: string[]
}

/** What issue 5 names for each template. */
const EXPECTED: Record<string, Expected> = {
  'site-orders': {
    roles: ['admin', 'manager', 'operative', 'compagnon'],
    superRole: 'admin',
    modules: ['orders', 'events', 'files', 'users', 'sites', 'billing', 'documents', 'partners', 'sourcing', 'suppliers', 'analytics', 'dashboard', 'overview', 'settings']
  },
  'service-company': {
    roles: ['employee', 'manager', 'administrator', 'sales_rep', 'accountant', 'new_employee', 'crew_lead', 'dispatcher', 'independent_technician'],
    superRole: 'administrator',
    modules: ['requests', 'quotes', 'jobs', 'invoices', 'visits', 'tasks', 'time_entries', 'clients', 'products', 'forms', 'settings']
  },
  maintenance: {
    roles: ['administrator', 'planner', 'technician', 'requester', 'viewer'],
    superRole: 'administrator',
    modules: ['users', 'teams', 'company', 'costs', 'assets', 'locations', 'work_orders', 'requests', 'metrics', 'reports']
  },
  'construction-projects': {
    roles: ['users_admin', 'subcontractors_admin', 'projects_admin', 'own_projects_admin', 'roles_admin', 'subcontractor', 'observer'],
    superRole: '',
    modules: ['users', 'subcontractors', 'projects', 'roles', 'schedule', 'tickets', 'siteview', 'reports', 'documents', 'approvals', 'public_markups']
  },
  'field-crew': {
    roles: ['admin', 'manager', 'employee'],
    superRole: '',
    fullRole: 'admin',
    modules: ['jobs', 'visits', 'routes', 'contacts', 'messages', 'quotes', 'invoices', 'transactions', 'reports', 'settings']
  }
}

const templateNames = (): string[] =>
  readdirSync(templatesDir).filter(name => statSync(join(templatesDir, name)).isDirectory()).sort()

t.test('the five seed templates exist, each with a bundle', async t => {
  t.same(templateNames(), Object.keys(EXPECTED).sort())
  for (const name of Object.keys(EXPECTED)) {
    t.ok(statSync(join(templatesDir, name, 'bundle.yaml'), { throwIfNoEntry: false })?.isFile(), `\`${name}/bundle.yaml\` exists`)
  }
})

for (const [name, expected] of Object.entries(EXPECTED)) {
  t.test(`template \`${name}\` bundle compiles and defines the seed's roles and modules`, async t => {
    const file = join(templatesDir, name, 'bundle.yaml')
    const parsed: unknown = parse(readFileSync(file, 'utf8'), { uniqueKeys: true })
    const compiled = compileBundle(parsed)
    // On failure, the issues themselves are the diff.
    t.same(compiled.ok ? [] : compiled.issues.map(i => `${i.path}: ${i.code}: ${i.message}`), [], `${file} compiles`)
    if (!compiled.ok) return
    const { policy } = compiled
    for (const role of expected.roles) t.ok(policy.roles.has(role), `role \`${role}\` is defined`)
    for (const module of expected.modules) t.ok(policy.modules.has(module), `module \`${module}\` is defined`)
    const supers = [...policy.roles.values()].filter(r => r.all).map(r => r.name)
    t.same(supers, expected.superRole === '' ? [] : [expected.superRole], 'only the administrator role grants everything')
    if (expected.superRole !== '') t.equal(policy.roles.get(expected.superRole)?.protected, true, `\`${expected.superRole}\` is protected`)
    if (expected.fullRole !== undefined) {
      const role = policy.bundle.roles[expected.fullRole]
      t.equal(role?.protected, true, `\`${expected.fullRole}\` is protected`)
      for (const module of policy.modules.keys()) {
        t.match(role?.modules?.[module], { access: 'all', level: 'full' }, `\`${expected.fullRole}\` holds \`${module}\` at level full`)
      }
    }
    // Every flag is used by an action or a field, every declared relation by some grant's access.
    const usedFlags = new Set<string>()
    for (const def of Object.values(policy.bundle.modules)) {
      for (const a of Object.values(def.actions)) for (const f of a.flags ?? []) usedFlags.add(f)
      for (const fd of Object.values(def.fields ?? {})) for (const f of fd.flags ?? []) usedFlags.add(f)
    }
    for (const flag of Object.keys(policy.bundle.flags ?? {})) t.ok(usedFlags.has(flag), `flag \`${flag}\` gates an action or a field`)
  })
}
