/**
 * The acting-user rules (`Gatehouse-Actor`, docs/admin-rules.md) on each shipped template:
 * subject writes named by an actor, checked by the engine's `checkSubjectChange` against
 * the template's bundle (its `user_admin`) and its suite's subjects. A suite case is a
 * decision; these are the writes themselves, the protected role included, so that each
 * template's "acting user" cases are known to be what the rules decide.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { checkSubjectChange, compileBundle } from '../../src/engine/index.js'
import type { CompiledPolicy, Subject, SubjectChangeRefusalCode } from '../../src/engine/index.js'

const templatesDir = fileURLToPath(new URL('../../src/templates/', import.meta.url))

interface Template { policy: CompiledPolicy, subjects: Map<string, Subject> }

function load (name: string): Template {
  const compiled = compileBundle(parse(readFileSync(join(templatesDir, name, 'bundle.yaml'), 'utf8')))
  if (!compiled.ok) throw new Error(`${name}: ${JSON.stringify(compiled.issues)}`)
  const suite = parse(readFileSync(join(templatesDir, name, 'suite.yaml'), 'utf8')) as { subjects: Record<string, Omit<Subject, 'id'>> }
  const subjects = new Map(Object.entries(suite.subjects).map(([id, s]) => [id, { ...s, roles: s.roles ?? [], id }]))
  return { policy: compiled.policy, subjects }
}

/** A write: `create` a new subject, `edit` one of the suite's (into `after`), `delete` one. */
type Write =
  | { create: Subject }
  | { edit: string, after: Partial<Subject> }
  | { delete: string }

type Row = [description: string, actor: string, write: Write, refusal: SubjectChangeRefusalCode | undefined]

const fresh = (id: string, extra: Partial<Subject> = {}): Subject => ({ id, roles: [], ...extra })

const TABLES: Record<string, Row[]> = {
  'construction-projects': [
    ['the owner invites an internal user', 'owen', { create: fresh('new-user', { projects: { p1: ['worker'] } }) }, undefined],
    ['the users permission invites an internal user', 'ulla', { create: fresh('new-user', { roles: ['roles_admin'] }) }, undefined],
    ['the users permission changes and deletes internal users', 'ulla', { edit: 'will', after: { projects: { p1: ['foreman'] } } }, undefined],
    ['the users permission deletes an internal user', 'ulla', { delete: 'carl' }, undefined],
    ['the users permission invites a subcontractor', 'ulla', { create: fresh('new-sub', { projects: { p1: ['subcontractor'] }, groups: ['acme'] }) }, undefined],
    ['a subcontractor manager invites a subcontractor', 'sonia', { create: fresh('new-sub', { projects: { p1: ['subcontractor'] } }) }, undefined],
    ['a subcontractor manager changes a subcontractor', 'sonia', { edit: 'sub', after: { projects: { p1: ['subcontractor'], p2: ['subcontractor'] } } }, undefined],
    ['a subcontractor manager deletes a subcontractor', 'sonia', { delete: 'sub' }, undefined],
    ['a subcontractor manager invites no internal user', 'sonia', { create: fresh('new-user', { projects: { p1: ['worker'] } }) }, 'users_permission'],
    ['a subcontractor manager changes no internal user', 'sonia', { edit: 'will', after: { projects: { p1: ['worker'] } } }, 'users_permission'],
    ['a subcontractor manager makes no subcontractor an internal user', 'sonia', { edit: 'sub', after: { projects: { p1: ['worker'] } } }, 'users_permission'],
    ['a subcontractor manager deletes no observer', 'sonia', { delete: 'olga' }, 'users_permission'],
    ['a project manager invites nobody', 'paul', { create: fresh('new-sub', { projects: { p1: ['subcontractor'] } }) }, 'users_permission']
  ],
  'field-crew': [
    ['an administrator creates an employee', 'adele', { create: fresh('new-employee', { roles: ['employee'], login: false }) }, undefined],
    ['an administrator invites an employee to log in', 'adele', { edit: 'pending', after: { login: true } }, undefined],
    ['an administrator inactivates an employee', 'adele', { edit: 'emile', after: { status: 'inactive' } }, undefined],
    ['an administrator deletes an employee', 'adele', { delete: 'contractor' }, undefined],
    ['an administrator promotes an employee administrator', 'adele', { edit: 'emile', after: { roles: ['admin'] } }, undefined],
    ['an administrator changes another administrator', 'adele', { edit: 'alain', after: { roles: ['admin', 'manager'] } }, undefined],
    ['an administrator deletes another administrator', 'adele', { delete: 'alain' }, undefined],
    ['a manager creates no employee', 'marc', { create: fresh('new-employee', { roles: ['employee'] }) }, 'users_permission'],
    ['a manager inactivates no employee', 'marc', { edit: 'emile', after: { status: 'inactive' } }, 'users_permission'],
    ['an employee deletes nobody', 'emile', { delete: 'contractor' }, 'users_permission'],
    ['a manager given the right changes an employee', 'rita', { edit: 'emile', after: { roles: ['manager'] } }, undefined],
    ['a manager given the right promotes nobody administrator', 'rita', { edit: 'emile', after: { roles: ['admin'] } }, 'protected_role'],
    ['a manager given the right changes no administrator (the condition on the target\'s roles)', 'rita', { edit: 'alain', after: { status: 'inactive' } }, 'users_permission'],
    ['a manager given the right deletes an employee', 'max', { delete: 'emile' }, undefined],
    ['a manager given the right deletes no administrator', 'max', { delete: 'alain' }, 'users_permission'],
    ['an administrator turned inactive acts no more', 'ines', { delete: 'emile' }, 'actor_inactive']
  ],
  'site-orders': [
    ['an admin creates a manager', 'alice', { create: fresh('new-user', { roles: ['manager'] }) }, undefined],
    ['an admin changes a user', 'alice', { edit: 'colin', after: { roles: ['manager'] } }, undefined],
    ['a manager creates a user', 'marc', { create: fresh('new-user', { roles: ['compagnon'] }) }, undefined],
    ['a manager deletes a user', 'marc', { delete: 'colin' }, undefined],
    ['a manager changes no user', 'marc', { edit: 'colin', after: { roles: ['manager'] } }, 'users_permission'],
    ['a manager creates no admin', 'marc', { create: fresh('new-user', { roles: ['admin'] }) }, 'protected_role'],
    ['a compagnon creates nobody', 'colin', { create: fresh('new-user') }, 'users_permission']
  ],
  'service-company': [
    ['the administrator creates a user', 'ada', { create: fresh('new-user', { roles: ['dispatcher'] }) }, undefined],
    ['the administrator changes a user', 'ada', { edit: 'emma', after: { roles: ['crew_lead'] } }, undefined],
    ['the administrator deletes a user', 'ada', { delete: 'eric' }, undefined],
    ['a manager creates no user', 'gaston', { create: fresh('new-user', { roles: ['employee'] }) }, 'users_permission'],
    ['a dispatcher changes no user', 'dina', { edit: 'emma', after: { roles: ['manager'] } }, 'users_permission']
  ],
  maintenance: [
    ['the administrator creates a user', 'adrien', { create: fresh('new-user', { roles: ['technician'] }) }, undefined],
    ['the administrator edits a user', 'adrien', { edit: 'tom', after: { roles: ['planner'] } }, undefined],
    ['the administrator deletes a user', 'adrien', { delete: 'vera' }, undefined],
    ['a planner creates no user', 'paula', { create: fresh('new-user', { roles: ['technician'] }) }, 'users_permission'],
    ['a planner edits no user', 'paula', { edit: 'tom', after: { roles: ['requester'] } }, 'users_permission'],
    ['a planner deletes no user', 'paula', { delete: 'vera' }, 'users_permission']
  ]
}

for (const [name, rows] of Object.entries(TABLES)) {
  t.test(`acting users on \`${name}\``, async t => {
    const { policy, subjects } = load(name)
    const owners = [...subjects.values()].filter(s => s.owner === true).map(s => s.id)
    const stored = (id: string): Subject => {
      const subject = subjects.get(id)
      if (subject === undefined) throw new Error(`${name}: no subject \`${id}\` in the suite`)
      return subject
    }
    for (const [description, actorId, write, refusal] of rows) {
      const actor = { id: actorId, subject: stored(actorId) }
      const change = 'create' in write
        ? { before: undefined, after: write.create, owners, actor }
        : 'edit' in write
          ? { before: stored(write.edit), after: { ...stored(write.edit), ...write.after }, owners, actor }
          : { before: stored(write.delete), after: undefined, owners, actor }
      const refused = checkSubjectChange(policy, change)
      t.equal(refused?.code, refusal, description, { message: refused?.message })
    }
  })
}

t.test('the fixed user types of construction-projects are fixed roles', async t => {
  const { policy } = load('construction-projects')
  const fixed = Object.entries(policy.bundle.roles).filter(([, role]) => role.fixed === true).map(([role]) => role)
  t.same(fixed.sort(), ['observer', 'subcontractor'])
})
