import t from 'tap'
import type { Subject } from '../../src/engine/index.js'
import { checkSubject } from '../../src/engine/index.js'
import { richPolicy } from './fixtures/rich-bundle.js'

const policy = richPolicy()

interface SubjectCase {
  name: string
  subject: unknown
  want: string[]
  message?: string
}

const cases: SubjectCase[] = [
  {
    name: 'a full valid subject has no issues',
    subject: {
      id: 'u1',
      roles: ['employee'],
      aliases: ['marie@example.com'],
      projects: { 'site-12': ['site_operative', 'observer'] },
      groups: ['crew-a'],
      status: 'active',
      login: true,
      owner: false,
      overrides: {
        flags: { manage_prices: true, delete_entities: false },
        modules: { jobs: { access: ['creator'], level: 'management', allow: ['create'], deny: ['delete'] }, tickets: { access: 'assigned' } }
      }
    },
    want: []
  },
  { name: 'override access `all` and `none` are valid', subject: { id: 'u1', roles: [], overrides: { modules: { jobs: { access: 'all' }, tickets: { access: 'none' } } } }, want: [] },
  { name: 'a minimal subject has no issues', subject: { id: 'u1', roles: [] }, want: [] },
  { name: 'an unknown tenant-wide role', subject: { id: 'u1', roles: ['employee', 'ghost'] }, want: ['unknown_role /roles/1'], message: 'unknown role `ghost`' },
  { name: 'an unknown project role', subject: { id: 'u1', roles: [], projects: { 'site-12': ['ghost'], 'site/13': ['observer', 'spook'] } }, want: ['unknown_role /projects/site-12/0', 'unknown_role /projects/site~113/1'], message: 'unknown role `ghost` in project `site-12`' },
  { name: 'a repeated role', subject: { id: 'u1', roles: ['employee', 'employee'] }, want: ['duplicate_entry /roles/1'] },
  { name: 'roles are required', subject: { id: 'u1' }, want: ['missing_property /roles'] },
  { name: 'the id must be a non-empty string', subject: { id: '', roles: [] }, want: ['invalid_type /id'] },
  { name: 'a subject that is not an object', subject: 'u1', want: ['invalid_type '] },
  { name: 'an unknown property', subject: { id: 'u1', roles: [], role: ['employee'] }, want: ['unknown_property /role'], message: 'unknown property `role` in the subject' },
  { name: 'ill-typed lists and values', subject: { id: 'u1', roles: 'employee', aliases: [5], groups: [''], projects: ['site-12'], status: 'gone', login: 'no', owner: 1 }, want: ['invalid_type /roles', 'invalid_type /aliases/0', 'invalid_value /groups/0', 'invalid_type /projects', 'invalid_value /status', 'invalid_type /login', 'invalid_type /owner'] },
  { name: 'an empty alias', subject: { id: 'u1', roles: [], aliases: [''] }, want: ['invalid_value /aliases/0'] },
  { name: 'an undeclared flag in the overrides', subject: { id: 'u1', roles: [], overrides: { flags: { teleport: true, manage_prices: 'yes' } } }, want: ['unknown_flag /overrides/flags/teleport', 'invalid_type /overrides/flags/manage_prices'], message: 'unknown flag `teleport` in the overrides' },
  { name: 'an unknown module in the overrides', subject: { id: 'u1', roles: [], overrides: { modules: { trucks: { allow: ['drive'] } } } }, want: ['unknown_module /overrides/modules/trucks'], message: 'unknown module `trucks` in the overrides' },
  { name: 'the shape of an override on an unknown module is still checked', subject: { id: 'u1', roles: [], overrides: { modules: { trucks: { levle: 'full', access: 'some' } } } }, want: ['unknown_module /overrides/modules/trucks', 'unknown_property /overrides/modules/trucks/levle', 'invalid_access /overrides/modules/trucks/access'] },
  { name: 'unknown actions in override allow and deny', subject: { id: 'u1', roles: [], overrides: { modules: { jobs: { allow: ['view', 'lock'], deny: ['unlock'] } } } }, want: ['unknown_action /overrides/modules/jobs/allow/1', 'unknown_action /overrides/modules/jobs/deny/0'], message: 'unknown action `lock` in module `jobs`' },
  { name: 'bad access values in overrides', subject: { id: 'u1', roles: [], overrides: { modules: { jobs: { access: 'everything' }, tickets: { access: ['owner'] }, invoices: { access: 'assigned' } } } }, want: ['invalid_access /overrides/modules/jobs/access', 'unknown_relation /overrides/modules/tickets/access/0', 'assigned_without_relations /overrides/modules/invoices/access'] },
  { name: 'a bad level in an override', subject: { id: 'u1', roles: [], overrides: { modules: { jobs: { level: 'max' } } } }, want: ['invalid_level /overrides/modules/jobs/level'] },
  { name: 'ill-typed overrides', subject: { id: 'u1', roles: [], overrides: { flags: [], modules: { jobs: 'all' }, toggles: {} } }, want: ['invalid_type /overrides/flags', 'invalid_type /overrides/modules/jobs', 'unknown_property /overrides/toggles'] },
  { name: 'overrides that are not an object', subject: { id: 'u1', roles: [], overrides: [] }, want: ['invalid_type /overrides'] },
  { name: 'override modules that are not an object', subject: { id: 'u1', roles: [], overrides: { modules: [] } }, want: ['invalid_type /overrides/modules'] }
]

t.test('checkSubject: code and exact path', async t => {
  for (const c of cases) {
    t.test(c.name, async t => {
      const issues = checkSubject(policy, c.subject as Subject)
      t.same(issues.map(i => `${i.code} ${i.path}`).sort(), [...c.want].sort())
      if (c.message !== undefined) t.equal(issues[0]?.message, c.message)
    })
  }
})
