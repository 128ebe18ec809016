import t from 'tap'
import type { ResourceFacts } from '../../src/engine/index.js'
import { decide, resourceFromProperties } from '../../src/engine/index.js'
import { richPolicy } from './fixtures/rich-bundle.js'

const policy = richPolicy()

interface ResourceCase {
  name: string
  module?: string
  properties: unknown
  strict: boolean
  want: ResourceFacts | string[]
  message?: string
}

const cases: ResourceCase[] = [
  {
    name: 'reserved properties and relations become facts',
    properties: { project: 'site-12', parent: 'j0', assignee: ['u1', 'group:crew-a'], creator: 'u2', acl: [{ who: 'group:crew-a', allow: ['view', 'edit'] }, { who: 'role:manager', deny: ['view'] }, { who: '*' }] },
    strict: true,
    want: { module: 'jobs', id: 'j1', project: 'site-12', parent: 'j0', relations: { assignee: ['u1', 'group:crew-a'], creator: ['u2'] }, acl: [{ who: 'group:crew-a', allow: ['view', 'edit'] }, { who: 'role:manager', deny: ['view'] }, { who: '*' }] }
  },
  { name: 'no properties give a bare resource', properties: undefined, strict: true, want: { module: 'jobs', id: 'j1', relations: {} } },
  { name: 'an empty ACL is kept (it denies everything)', properties: { acl: [] }, strict: true, want: { module: 'jobs', id: 'j1', relations: {}, acl: [] } },
  { name: 'strict: a property that is neither reserved nor a relation is an issue', properties: { assignee: 'u1', colour: 'red' }, strict: true, want: ['unknown_property /colour'], message: 'unknown property `colour` in a resource of module `jobs`: expected `project`, `parent`, `acl`, a relation or an attribute of the module' },
  { name: 'inline: other properties are ignored', properties: { assignee: 'u1', colour: 'red', ownerID: 5 }, strict: false, want: { module: 'jobs', id: 'j1', relations: { assignee: ['u1'] } } },
  { name: 'inline: ill-typed relation values are issues', properties: { assignee: 5, creator: ['u1', null, ''] }, strict: false, want: ['invalid_type /assignee', 'invalid_type /creator/1', 'invalid_type /creator/2'], message: 'relation `assignee` must be a non-empty string or a list of them, not a number' },
  { name: 'an empty relation value is an issue', properties: { assignee: '' }, strict: true, want: ['invalid_type /assignee'] },
  { name: 'ill-typed project and parent', properties: { project: 12, parent: '' }, strict: false, want: ['invalid_type /project', 'invalid_type /parent'], message: '`project` must be a non-empty string, not a number' },
  { name: 'a resource cannot be its own parent', properties: { parent: 'j1' }, strict: true, want: ['invalid_value /parent'] },
  { name: 'properties that are not an object', properties: ['assignee'], strict: false, want: ['invalid_type '] },
  { name: 'an ACL that is not a list', properties: { acl: { who: '*' } }, strict: false, want: ['invalid_type /acl'] },
  { name: 'ACL entries are checked against the module', properties: { acl: [{ who: 'u1', allow: ['view', 'lock'], deny: ['unlock'] }] }, strict: false, want: ['unknown_action /acl/0/allow/1', 'unknown_action /acl/0/deny/0'], message: 'unknown action `lock` in module `jobs`' },
  { name: 'ACL entries with a misspelt key are refused', properties: { acl: [{ who: 'u1', alow: ['view'] }] }, strict: false, want: ['unknown_property /acl/0/alow'] },
  { name: 'ACL entries need a usable who', properties: { acl: [{ allow: ['view'] }, { who: '' }, { who: 'group:' }, { who: 7 }, 'u1', { who: 'role:ghost' }] }, strict: true, want: ['missing_property /acl/0/who', 'invalid_value /acl/1/who', 'invalid_value /acl/2/who', 'invalid_type /acl/3/who', 'invalid_type /acl/4', 'unknown_role /acl/5/who'], message: 'an ACL entry lacks required property `who`' },
  { name: 'an ACL entry that is not an object is named as one', properties: { acl: ['u1'] }, strict: true, want: ['invalid_type /acl/0'], message: 'an ACL entry must be an object, not a string' },
  { name: 'an ACL entry\'s condition must be text', properties: { acl: [{ who: '*', when: 1 }] }, strict: true, want: ['invalid_type /acl/0/when'], message: 'the condition of an ACL entry must be a string, not a number' },
  { name: 'ill-typed ACL lists', properties: { acl: [{ who: 'u1', allow: 'view', deny: [1] }] }, strict: true, want: ['invalid_type /acl/0/allow', 'invalid_type /acl/0/deny/0'] },
  { name: 'strict: an unknown module is an issue', module: 'trucks', properties: { driver: 'u1' }, strict: true, want: ['unknown_module '], message: 'unknown module `trucks`' },
  { name: 'inline: an unknown module gives a resource without relations', module: 'trucks', properties: { driver: 'u1' }, strict: false, want: { module: 'trucks', id: 'j1', relations: {} } }
]

t.test('resourceFromProperties', async t => {
  for (const c of cases) {
    t.test(c.name, async t => {
      const got = resourceFromProperties(policy, c.module ?? 'jobs', 'j1', c.properties, { strict: c.strict })
      if (Array.isArray(c.want)) {
        t.equal(got.ok, false)
        const issues = got.ok ? [] : got.issues
        t.same(issues.map(i => `${i.code} ${i.path}`).sort(), [...c.want].sort())
        if (c.message !== undefined) t.equal(issues[0]?.message, c.message)
      } else {
        t.same(got, { ok: true, resource: c.want })
      }
    })
  }
})

t.test('facts from inline properties decide', async t => {
  const inline = resourceFromProperties(policy, 'jobs', 'j1', { assignee: 'u1' }, { strict: false })
  if (!inline.ok) throw new Error('fixture')
  t.equal(decide(policy, { subject: { id: 'u1', roles: ['employee'] }, action: 'view', resource: inline.resource }).reason.code, 'role_grant')
  const unknown = resourceFromProperties(policy, 'trucks', 't1', {}, { strict: false })
  if (!unknown.ok) throw new Error('fixture')
  t.equal(decide(policy, { subject: { id: 'u1', roles: ['superuser'] }, action: 'drive', resource: unknown.resource }).reason.code, 'module_unknown')
})
