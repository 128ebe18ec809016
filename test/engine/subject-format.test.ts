/**
 * The subject document's one definition (src/engine/subject-format.ts) and a resource's
 * ACL (src/engine/resource-format.ts), in the style of format-check.test.ts: the
 * validator, the documented schema (Ajv) and TypeBox's checker agree on generated valid
 * documents and on a table of invalid ones, at the same path.
 */
import t from 'tap'
import { Ajv } from 'ajv'
import fc from 'fast-check'
import { Compile } from 'typebox/compile'
import { aclFormat } from '../../src/engine/resource-format.js'
import { subjectFormat } from '../../src/engine/subject-format.js'
import type { Subject } from '../../src/engine/index.js'
import { aclJsonSchema, checkSubject, resourceFromProperties, subjectJsonSchema } from '../../src/engine/index.js'
import { richPolicy } from './fixtures/rich-bundle.js'
import { ajvPaths } from '../helpers/ajv-paths.js'

const policy = richPolicy()
const ajv = new Ajv({ strict: true, allErrors: true })
const documentedSubject = ajv.compile(subjectJsonSchema)
const documentedAcl = ajv.compile(aclJsonSchema)
const typeboxSubject = Compile(subjectFormat.schema)
const typeboxAcl = Compile(aclFormat.schema)

const ROLES = ['employee', 'manager', 'observer', 'site_operative', 'superuser']
const FLAGS = ['manage_prices', 'delete_entities', 'view_costs']
const JOB_ACTIONS = ['view', 'note', 'edit', 'close', 'delete']
const id = fc.stringMatching(/^[a-z][a-z0-9@.-]{0,8}$/)

/** A subject whose structure and references hold under the rich policy. */
const validSubject = fc.record({
  id,
  roles: fc.uniqueArray(fc.constantFrom(...ROLES), { maxLength: 3 }),
  aliases: fc.option(fc.uniqueArray(id, { maxLength: 2 }), { nil: undefined }),
  projects: fc.option(fc.dictionary(id, fc.uniqueArray(fc.constantFrom(...ROLES), { maxLength: 2 }), { maxKeys: 2 }), { nil: undefined }),
  groups: fc.option(fc.uniqueArray(id, { maxLength: 2 }), { nil: undefined }),
  status: fc.option(fc.constantFrom('active' as const, 'inactive' as const), { nil: undefined }),
  login: fc.option(fc.boolean(), { nil: undefined }),
  owner: fc.option(fc.boolean(), { nil: undefined }),
  overrides: fc.option(fc.record({
    flags: fc.option(fc.dictionary(fc.constantFrom(...FLAGS), fc.boolean()), { nil: undefined }),
    modules: fc.option(fc.record({
      jobs: fc.record({
        access: fc.option(fc.oneof(fc.constantFrom('none' as const, 'all' as const, 'assigned' as const), fc.uniqueArray(fc.constantFrom('assignee', 'creator'), { maxLength: 2 })), { nil: undefined }),
        level: fc.option(fc.constantFrom('limited' as const, 'management' as const, 'full' as const), { nil: undefined }),
        allow: fc.option(fc.uniqueArray(fc.constantFrom(...JOB_ACTIONS), { maxLength: 2 }), { nil: undefined }),
        deny: fc.option(fc.uniqueArray(fc.constantFrom(...JOB_ACTIONS), { maxLength: 2 }), { nil: undefined })
      }, { requiredKeys: [] })
    }, { requiredKeys: [] }), { nil: undefined })
  }, { requiredKeys: [] }), { nil: undefined })
}, { requiredKeys: ['id', 'roles'] }).map(s => JSON.parse(JSON.stringify(s)) as Subject)

t.test('generated valid subjects pass the validator, the documented schema (Ajv) and TypeBox\'s checker', async t => {
  fc.assert(fc.property(validSubject, subject => {
    const issues = checkSubject(policy, subject)
    if (issues.length > 0) throw new Error(JSON.stringify(issues))
    if (!documentedSubject(subject)) throw new Error(JSON.stringify(documentedSubject.errors))
    if (!typeboxSubject.Check(subject)) throw new Error('TypeBox\'s checker refused it')
  }), { numRuns: 200 })
  t.pass('200 generated subjects')
})

type Json = Record<string, any>
const base = (): Json => ({ id: 'u1', roles: ['employee'], overrides: { flags: { view_costs: true }, modules: { jobs: { access: 'all', allow: ['view'] } } } })

/** Invalid subjects: the documented schema, TypeBox and the validator all refuse each, naming the same place. */
const invalid: Array<[string, (s: Json) => void, string]> = [
  ['a misspelt key', s => { s.role = [] }, '/role'],
  ['no roles', s => { delete s.roles }, '/roles'],
  ['an empty id', s => { s.id = '' }, '/id'],
  ['roles as a string', s => { s.roles = 'employee' }, '/roles'],
  ['a repeated role', s => { s.roles.push('employee') }, '/roles/1'],
  ['an empty alias', s => { s.aliases = [''] }, '/aliases/0'],
  ['project roles as a string', s => { s.projects = { p: 'employee' } }, '/projects/p'],
  ['a status outside the enum', s => { s.status = 'gone' }, '/status'],
  ['login as a string', s => { s.login = 'no' }, '/login'],
  ['a flag override that is not a boolean', s => { s.overrides.flags.view_costs = 'yes' }, '/overrides/flags/view_costs'],
  ['a misspelt key in an override', s => { s.overrides.modules.jobs.levle = 'full' }, '/overrides/modules/jobs/levle'],
  ['an access that is no keyword', s => { s.overrides.modules.jobs.access = 'some' }, '/overrides/modules/jobs/access'],
  ['a level outside the enum', s => { s.overrides.modules.jobs.level = 'max' }, '/overrides/modules/jobs/level'],
  ['a condition that is not a string', s => { s.overrides.modules.jobs.when = { view: 1 } }, '/overrides/modules/jobs/when/view'],
  ['attributes as a list', s => { s.attributes = [] }, '/attributes']
]

t.test('invalid subjects fail the documented schema, TypeBox\'s checker and the validator, at the same path', async t => {
  for (const [what, change, path] of invalid) {
    const s = base()
    change(s)
    t.notOk(documentedSubject(s), `${what}: the documented schema refuses it`)
    t.notOk(typeboxSubject.Check(s), `${what}: TypeBox's checker refuses it`)
    t.ok(ajvPaths(documentedSubject.errors).has(path), `${what}: the documented schema names ${path}: ${JSON.stringify(documentedSubject.errors)}`)
    const issues = checkSubject(policy, s as Subject)
    t.ok(issues.some(i => i.path === path), `${what}: the validator names ${path}: ${JSON.stringify(issues)}`)
  }
})

t.test('the subject\'s messages name what is wrong the way the hand-written checks did', async t => {
  const messages = (s: unknown): string[] => checkSubject(policy, s as Subject).map(i => `${i.code} ${i.path}: ${i.message}`)
  t.same(messages({ id: '', roles: 'employee', aliases: ['', 5], groups: [''], status: 'gone', overrides: { flags: { teleport: 'x' }, modules: { jobs: { levle: 1, when: { view: 2 } } } } }), [
    'invalid_type /id: the subject id must be a non-empty string',
    'invalid_type /roles: the subject roles must be a list, not a string',
    'invalid_value /aliases/0: an empty string is not a valid alias',
    'invalid_type /aliases/1: entries of `aliases` must be strings, not a number',
    'invalid_value /groups/0: an empty string is not a valid group',
    'invalid_value /status: invalid status `gone`: expected `active` or `inactive`',
    'invalid_type /overrides/flags/teleport: the override of flag `teleport` must be a boolean, not a string',
    'unknown_flag /overrides/flags/teleport: unknown flag `teleport` in the overrides',
    'unknown_property /overrides/modules/jobs/levle: unknown property `levle` in the override on module `jobs`',
    'invalid_type /overrides/modules/jobs/when/view: the condition of `view` in the override on module `jobs` must be a string, not a number'
  ])
  t.same(messages({ id: 7, roles: [], projects: { p: [1, 'ghost'] }, overrides: { modules: [] } }), [
    'invalid_type /id: the subject id must be a string, not a number',
    'invalid_type /projects/p/0: entries of the roles in project `p` must be strings, not a number',
    'unknown_role /projects/p/1: unknown role `ghost` in project `p`',
    'invalid_type /overrides/modules: `modules` of the overrides must be an object, not an array'
  ])
})

/** ACLs: the same three opinions. */
t.test('ACLs: valid ones pass all three; invalid ones fail all three at the same path', async t => {
  const valid = [[], [{ who: '*' }, { who: 'group:crew', allow: ['view'], deny: ['edit'], when: 'subject.id == "u1"' }, { who: 'role:manager' }]]
  for (const acl of valid) {
    t.ok(documentedAcl(acl) && typeboxAcl.Check(acl) && resourceFromProperties(policy, 'jobs', 'j1', { acl }, { strict: true }).ok, JSON.stringify(acl))
  }
  const bad: Array<[unknown, string]> = [
    [{}, ''], [['u1'], '/0'], [[{}], '/0/who'], [[{ who: 'role:' }], '/0/who'], [[{ who: '*', alow: [] }], '/0/alow'],
    [[{ who: '*', allow: 'view' }], '/0/allow'], [[{ who: '*', deny: ['view', 'view'] }], '/0/deny/1'], [[{ who: '*', when: 1 }], '/0/when']
  ]
  for (const [acl, path] of bad) {
    t.notOk(documentedAcl(acl), `${JSON.stringify(acl)}: the documented schema refuses it`)
    t.notOk(typeboxAcl.Check(acl), `${JSON.stringify(acl)}: TypeBox's checker refuses it`)
    t.ok(ajvPaths(documentedAcl.errors).has(path), `${JSON.stringify(acl)}: the documented schema names ${path}: ${JSON.stringify(documentedAcl.errors)}`)
    const got = resourceFromProperties(policy, 'jobs', 'j1', { acl }, { strict: true })
    t.ok(!got.ok && got.issues.some(i => i.path === `/acl${path}`), `${JSON.stringify(acl)}: the validator names /acl${path}: ${JSON.stringify(got)}`)
  }
})
