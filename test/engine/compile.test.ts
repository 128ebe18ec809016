import t from 'tap'
import { Ajv } from 'ajv'
import type { Bundle, Decision, Issue, ResourceFacts, Subject } from '../../src/engine/index.js'
import { bundleJsonSchema, compileBundle, decide, exportBundle, isName, ISSUE_CODES, NAME_REGEXP } from '../../src/engine/index.js'
import { richBundle, richPolicy } from './fixtures/rich-bundle.js'

type Json = Record<string, any>

/** A small valid bundle; each issue case changes one thing in a fresh copy. */
function base (): Json {
  return {
    version: 1,
    flags: { f: 'a flag' },
    modules: {
      jobs: {
        relations: ['assignee', 'creator'],
        assigned: ['assignee'],
        actions: { view: { level: 'limited' }, edit: { level: 'management', flags: ['f'] } },
        fields: { price: { flags: ['f'] }, name: {} }
      },
      plain: { actions: { view: { level: 'limited' } } }
    },
    roles: {
      r: { flags: ['f'], modules: { jobs: { access: 'all', level: 'limited' } } }
    }
  }
}

const grant = (b: Json): Json => b.roles.r.modules.jobs
const issuesOf = (input: unknown): Issue[] => {
  const compiled = compileBundle(input)
  return compiled.ok ? [] : compiled.issues
}
const pairs = (issues: Issue[]): string[] => issues.map(i => `${i.code} ${i.path}`).sort()

interface IssueCase {
  name: string
  input: unknown | ((b: Json) => void)
  want: Array<[code: keyof typeof ISSUE_CODES, path: string]>
  /** The first issue's exact message, when given. */
  message?: string
}

const issueCases: IssueCase[] = [
  { name: 'a bundle that is not an object', input: 'version: 1', want: [['invalid_type', '']], message: 'the bundle must be an object, not a string' },
  { name: 'no bundle at all', input: undefined, want: [['invalid_type', '']], message: 'the bundle must be an object, not undefined' },
  { name: 'a list as bundle', input: [], want: [['invalid_type', '']] },
  { name: 'an empty object lacks version, modules and roles', input: {}, want: [['missing_property', '/version'], ['missing_property', '/modules'], ['missing_property', '/roles']] },
  { name: 'modules as a list', input: (b: Json) => { b.modules = [] }, want: [['invalid_type', '/modules'], ['unknown_module', '/roles/r/modules/jobs']] },
  { name: 'roles as null', input: (b: Json) => { b.roles = null }, want: [['invalid_type', '/roles']], message: '`roles` must be an object, not null' },
  { name: 'flags as a list', input: (b: Json) => { b.flags = ['f'] }, want: [['invalid_type', '/flags'], ['unknown_flag', '/modules/jobs/actions/edit/flags/0'], ['unknown_flag', '/modules/jobs/fields/price/flags/0'], ['unknown_flag', '/roles/r/flags/0']] },
  { name: 'an action written as a bare level', input: (b: Json) => { b.modules.jobs.actions.view = 'limited' }, want: [['invalid_type', '/modules/jobs/actions/view']], message: 'action `view` of module `jobs` must be an object, not a string' },
  { name: 'a module that is not an object', input: (b: Json) => { b.modules.plain = true }, want: [['invalid_type', '/modules/plain']] },
  { name: 'a field that is not an object', input: (b: Json) => { b.modules.jobs.fields.name = 'text' }, want: [['invalid_type', '/modules/jobs/fields/name']] },
  { name: 'a role that is not an object', input: (b: Json) => { b.roles.r = ['view'] }, want: [['invalid_type', '/roles/r']] },
  { name: 'a grant that is not an object', input: (b: Json) => { b.roles.r.modules.jobs = 'all' }, want: [['invalid_type', '/roles/r/modules/jobs']] },
  { name: 'a description that is not a string', input: (b: Json) => { b.modules.jobs.description = 5; b.modules.jobs.actions.view.description = 5; b.modules.jobs.fields.name.description = 5; b.roles.r.description = 5 }, want: [['invalid_type', '/modules/jobs/description'], ['invalid_type', '/modules/jobs/actions/view/description'], ['invalid_type', '/modules/jobs/fields/name/description'], ['invalid_type', '/roles/r/description']] },
  { name: 'a flag description that is not a string', input: (b: Json) => { b.flags.f = null }, want: [['invalid_type', '/flags/f']], message: 'the description of flag `f` must be a string, not null' },
  { name: 'booleans that are not booleans', input: (b: Json) => { b.roles.r.protected = 'yes'; b.roles.r.fixed = 'no'; b.roles.r.all = 1; grant(b).admin = 'true' }, want: [['invalid_type', '/roles/r/protected'], ['invalid_type', '/roles/r/fixed'], ['invalid_type', '/roles/r/all'], ['invalid_type', '/roles/r/modules/jobs/admin']] },
  { name: 'relations as a string', input: (b: Json) => { b.modules.jobs.relations = 'assignee' }, want: [['invalid_type', '/modules/jobs/relations']], message: '`relations` of module `jobs` must be a list, not a string' },
  { name: 'a list entry that is not a string', input: (b: Json) => { b.modules.jobs.relations.push(5); grant(b).allow = [{ action: 'view' }] }, want: [['invalid_type', '/modules/jobs/relations/2'], ['invalid_type', '/roles/r/modules/jobs/allow/0']] },
  { name: 'scope and fields that are not objects', input: (b: Json) => { grant(b).scope = ['view']; grant(b).fields = 'all' }, want: [['invalid_type', '/roles/r/modules/jobs/scope'], ['invalid_type', '/roles/r/modules/jobs/fields']] },
  { name: 'role modules that are not an object', input: (b: Json) => { b.roles.r.modules = ['jobs'] }, want: [['invalid_type', '/roles/r/modules']] },
  { name: 'module actions and fields that are not objects', input: (b: Json) => { b.modules.plain.actions = ['view']; b.modules.jobs.fields = ['price'] }, want: [['invalid_type', '/modules/plain/actions'], ['invalid_type', '/modules/jobs/fields']] },
  { name: 'a module without actions', input: (b: Json) => { delete b.modules.plain.actions }, want: [['missing_property', '/modules/plain/actions']], message: 'module `plain` lacks required property `actions`' },
  { name: 'an action without level', input: (b: Json) => { b.modules.jobs.actions.view = { flags: ['f'] } }, want: [['missing_property', '/modules/jobs/actions/view/level']] },
  { name: 'a misspelt top-level key', input: (b: Json) => { b.role = {} }, want: [['unknown_property', '/role']], message: 'unknown property `role` in the bundle' },
  { name: 'a misspelt deny is an error, never ignored', input: (b: Json) => { grant(b).denyy = ['edit'] }, want: [['unknown_property', '/roles/r/modules/jobs/denyy']], message: 'unknown property `denyy` in the grant of role `r` on module `jobs`' },
  { name: 'unknown properties at every depth', input: (b: Json) => { b.modules.jobs.relation = []; b.modules.jobs.actions.view.flag = []; b.modules.jobs.fields.name.mode = 'edit'; b.roles.r.flag = [] }, want: [['unknown_property', '/modules/jobs/relation'], ['unknown_property', '/modules/jobs/actions/view/flag'], ['unknown_property', '/modules/jobs/fields/name/mode'], ['unknown_property', '/roles/r/flag']] },
  { name: 'version 2', input: (b: Json) => { b.version = 2 }, want: [['unsupported_version', '/version']], message: 'unsupported bundle version `2`; expected `1`' },
  { name: 'version as a string', input: (b: Json) => { b.version = '1' }, want: [['unsupported_version', '/version']] },
  { name: 'names with spaces or nothing', input: (b: Json) => { b.modules['work orders'] = { actions: { '': { level: 'limited' } } } }, want: [['invalid_name', '/modules/work orders'], ['invalid_name', '/modules/work orders/actions/']], message: 'invalid module name `work orders`: use letters, digits and `_ . : - / { }`, and not `__proto__`' },
  { name: 'invalid relation, field, flag and role names', input: (b: Json) => { b.modules.jobs.relations.push('x y'); b.modules.jobs.fields['a+b'] = {}; b.flags['f!'] = ''; b.roles['r r'] = {} }, want: [['invalid_name', '/modules/jobs/relations/2'], ['invalid_name', '/modules/jobs/fields/a+b'], ['invalid_name', '/flags/f!'], ['invalid_name', '/roles/r r']] },
  { name: '`__proto__` is a reserved name', input: JSON.parse('{"version":1,"modules":{"__proto__":{"actions":{"view":{"level":"limited"}}}},"roles":{}}'), want: [['invalid_name', '/modules/__proto__']] },
  { name: '`__proto__` as a scope or field key is refused', input: (b: Json) => { grant(b).scope = JSON.parse('{"__proto__":"all"}'); grant(b).fields = JSON.parse('{"__proto__":"edit"}') }, want: [['invalid_name', '/roles/r/modules/jobs/scope/__proto__'], ['unknown_action', '/roles/r/modules/jobs/scope/__proto__'], ['invalid_name', '/roles/r/modules/jobs/fields/__proto__'], ['unknown_field', '/roles/r/modules/jobs/fields/__proto__']] },
  { name: 'a name with a slash is escaped in paths', input: (b: Json) => { b.roles.r.modules['a/b~c'] = {} }, want: [['invalid_name', '/roles/r/modules/a~1b~0c'], ['unknown_module', '/roles/r/modules/a~1b~0c']] },
  { name: 'an unknown action level', input: (b: Json) => { b.modules.jobs.actions.view.level = 'high' }, want: [['invalid_level', '/modules/jobs/actions/view/level']], message: 'invalid level `high` in action `view` of module `jobs`: expected `limited`, `management` or `full`' },
  { name: 'an unknown grant level', input: (b: Json) => { grant(b).level = 3 }, want: [['invalid_level', '/roles/r/modules/jobs/level']] },
  { name: 'an unknown field mode', input: (b: Json) => { grant(b).fields = { price: 'write' } }, want: [['invalid_field_mode', '/roles/r/modules/jobs/fields/price']] },
  { name: 'an unknown access', input: (b: Json) => { grant(b).access = 'some' }, want: [['invalid_access', '/roles/r/modules/jobs/access']], message: 'invalid access `some` in the grant of role `r` on module `jobs`: expected `none`, `assigned`, `all` or a list of relations' },
  { name: 'a long value is cut in messages', input: (b: Json) => { grant(b).access = 'x'.repeat(100) }, want: [['invalid_access', '/roles/r/modules/jobs/access']], message: `invalid access \`${'x'.repeat(57)}...\` in the grant of role \`r\` on module \`jobs\`: expected \`none\`, \`assigned\`, \`all\` or a list of relations` },
  { name: 'an unknown per-action access', input: (b: Json) => { grant(b).scope = { view: 5 } }, want: [['invalid_access', '/roles/r/modules/jobs/scope/view']] },
  { name: 'an undeclared flag in an action, a field and a role', input: (b: Json) => { b.modules.jobs.actions.view.flags = ['g']; b.modules.jobs.fields.name.flags = ['g']; b.roles.r.flags = ['f', 'g'] }, want: [['unknown_flag', '/modules/jobs/actions/view/flags/0'], ['unknown_flag', '/modules/jobs/fields/name/flags/0'], ['unknown_flag', '/roles/r/flags/1']], message: 'unknown flag `g` in action `view` of module `jobs`' },
  { name: 'an unknown module in a role', input: (b: Json) => { b.roles.r.modules.invoices = { access: 'all', allow: ['anything'] } }, want: [['unknown_module', '/roles/r/modules/invoices']], message: 'unknown module `invoices` in role `r`' },
  { name: 'the shape of a grant on an unknown module is still checked', input: (b: Json) => { b.roles.r.modules.invoices = { acess: 'all', level: 'max' } }, want: [['unknown_module', '/roles/r/modules/invoices'], ['unknown_property', '/roles/r/modules/invoices/acess'], ['invalid_level', '/roles/r/modules/invoices/level']] },
  { name: 'an unknown action in allow, deny and scope', input: (b: Json) => { grant(b).allow = ['lock']; grant(b).deny = ['view', 'unlock']; grant(b).scope = { close: 'all' } }, want: [['unknown_action', '/roles/r/modules/jobs/allow/0'], ['unknown_action', '/roles/r/modules/jobs/deny/1'], ['unknown_action', '/roles/r/modules/jobs/scope/close']], message: 'unknown action `lock` in module `jobs`' },
  { name: 'an unknown relation in access, scope and assigned', input: (b: Json) => { grant(b).access = ['owner']; grant(b).scope = { view: ['creator', 'owner'] }; b.modules.jobs.assigned = ['assignee', 'owner'] }, want: [['unknown_relation', '/roles/r/modules/jobs/access/0'], ['unknown_relation', '/roles/r/modules/jobs/scope/view/1'], ['unknown_relation', '/modules/jobs/assigned/1']], message: 'unknown relation `owner` in module `jobs`' },
  { name: 'an unknown field in a grant', input: (b: Json) => { grant(b).fields = { cost: 'read' } }, want: [['unknown_field', '/roles/r/modules/jobs/fields/cost']], message: 'unknown field `cost` in module `jobs`' },
  { name: 'duplicate entries', input: (b: Json) => { b.modules.jobs.relations = ['assignee', 'creator', 'assignee']; grant(b).allow = ['edit', 'edit']; b.roles.r.flags = ['f', 'f']; grant(b).access = ['creator', 'creator'] }, want: [['duplicate_entry', '/modules/jobs/relations/2'], ['duplicate_entry', '/roles/r/modules/jobs/allow/1'], ['duplicate_entry', '/roles/r/flags/1'], ['duplicate_entry', '/roles/r/modules/jobs/access/1']], message: 'duplicate entry `assignee` in `relations` of module `jobs`' },
  { name: 'access assigned on a module without relations', input: (b: Json) => { b.roles.r.modules.plain = { access: 'assigned', level: 'limited', scope: { view: 'assigned' } } }, want: [['assigned_without_relations', '/roles/r/modules/plain/access'], ['assigned_without_relations', '/roles/r/modules/plain/scope/view']], message: 'access `assigned` in the grant of role `r` on module `plain` reaches nothing: module `plain` declares no relations' },
  { name: 'user_admin that is not an object', input: (b: Json) => { b.user_admin = 'users' }, want: [['invalid_type', '/user_admin']], message: '`user_admin` must be an object, not a string' },
  {
    name: 'user_admin: every key checked, by_role names declared roles',
    input: (b: Json) => { b.user_admin = { modul: 'jobs', create: [], edit: 'edit', by_role: { ghost: { module: 'plain', create: ['fly'], edit: ['view'], delete: ['view'], extra: 1 }, r: 'x' } } },
    want: [['unknown_property', '/user_admin/modul'], ['missing_property', '/user_admin/module'], ['invalid_value', '/user_admin/create'], ['invalid_type', '/user_admin/edit'], ['missing_property', '/user_admin/delete'], ['unknown_role', '/user_admin/by_role/ghost'], ['unknown_property', '/user_admin/by_role/ghost/extra'], ['unknown_action', '/user_admin/by_role/ghost/create/0'], ['invalid_type', '/user_admin/by_role/r']],
    message: 'unknown property `modul` in `user_admin`'
  },
  {
    name: 'user_admin: a module that is not a string or not declared',
    input: (b: Json) => { b.user_admin = { module: 5, create: ['view'], edit: ['view'], delete: ['view'], by_role: { r: { module: 'trucks', create: ['fly'], edit: ['view'], delete: ['view'] }, s: { module: 'jobs', create: ['view'] } } }; b.roles.s = {} },
    want: [['invalid_type', '/user_admin/module'], ['unknown_module', '/user_admin/by_role/r/module'], ['missing_property', '/user_admin/by_role/s/edit'], ['missing_property', '/user_admin/by_role/s/delete']],
    message: '`module` of `user_admin` must be a string, not a number'
  },
  {
    name: 'user_admin: roles_attribute names a [string] attribute of the module',
    input: (b: Json) => {
      b.modules.jobs.attributes = { tags: ['string'], state: 'string' }
      b.roles.s = {}
      b.roles.t = {}
      b.user_admin = { module: 'jobs', create: ['edit'], edit: ['edit'], delete: ['edit'], roles_attribute: 'state', by_role: { r: { module: 'jobs', create: ['edit'], edit: ['edit'], delete: ['edit'], roles_attribute: 5 }, s: { module: 'trucks', create: ['x'], edit: ['x'], delete: ['x'], roles_attribute: 'tags' }, t: { module: 7, create: ['x'], edit: ['x'], delete: ['x'], roles_attribute: 'tags' } } }
    },
    want: [['invalid_value', '/user_admin/roles_attribute'], ['invalid_type', '/user_admin/by_role/r/roles_attribute'], ['unknown_module', '/user_admin/by_role/s/module'], ['invalid_type', '/user_admin/by_role/t/module']],
    message: '`roles_attribute` of `user_admin` must name a `[string]` attribute of module `jobs`'
  },
  { name: 'user_admin: by_role that is not an object', input: (b: Json) => { b.user_admin = { module: 'jobs', create: ['edit'], edit: ['edit'], delete: ['edit'], by_role: [] } }, want: [['invalid_type', '/user_admin/by_role']] },
  { name: 'user_admin: `__proto__` in by_role is refused', input: (b: Json) => { b.user_admin = { module: 'jobs', create: ['edit'], edit: ['edit'], delete: ['edit'], by_role: JSON.parse('{"__proto__":{"module":"jobs","create":["edit"],"edit":["edit"],"delete":["edit"]}}') } }, want: [['invalid_name', '/user_admin/by_role/__proto__'], ['unknown_role', '/user_admin/by_role/__proto__']] },
  { name: 'a condition naming an undeclared attribute', input: (b: Json) => { b.modules.jobs.attributes = { status: 'string' }; b.modules.jobs.actions.edit.when = "resource.state != 'closed'" }, want: [['invalid_condition', '/modules/jobs/actions/edit/when']], message: 'condition `resource.state != \'closed\'`, column 10: no such key: state (in action `edit` of module `jobs`)' },
  { name: 'a grant condition that cannot be planned', input: (b: Json) => { b.modules.jobs.attributes = { a: 'number', b: 'number' }; grant(b).when = { view: 'resource.a < resource.b' } }, want: [['invalid_condition', '/roles/r/modules/jobs/when/view']] },
  { name: 'an attribute of an unknown type', input: (b: Json) => { b.modules.jobs.attributes = { due: 'date' }; b.subject_attributes = { tags: ['number'] } }, want: [['invalid_attribute_type', '/modules/jobs/attributes/due'], ['invalid_attribute_type', '/subject_attributes/tags']], message: 'invalid type `date` of attribute `due`: expected `string`, `number`, `boolean`, `timestamp`, `[string]` or `{ enum: [...] }`' },
  { name: 'access assigned on a module with an empty assigned list', input: (b: Json) => { b.modules.jobs.assigned = []; grant(b).access = 'assigned' }, want: [['assigned_without_relations', '/roles/r/modules/jobs/access']], message: 'access `assigned` in the grant of role `r` on module `jobs` reaches nothing: module `jobs` has an empty `assigned` list' }
]

t.test('compile issues: code and exact path', async t => {
  for (const c of issueCases) {
    t.test(c.name, async t => {
      let input = c.input
      if (typeof input === 'function') {
        const b = base()
        ;(input as (b: Json) => void)(b)
        input = b
      }
      const issues = issuesOf(input)
      t.same(pairs(issues), c.want.map(([code, path]) => `${code} ${path}`).sort())
      if (c.message !== undefined) t.equal(issues[0]?.message, c.message)
      for (const i of issues) t.notOk(/^[A-Z]|\.$|\n/.test(i.message), `message style: ${i.message}`)
    })
  }
})

t.test('the bundle issue cases exercise every bundle issue code', async t => {
  const seen = new Set(issueCases.flatMap(c => c.want.map(([code]) => code)))
  t.same([...seen].sort(), Object.keys(ISSUE_CODES).sort())
})

t.test('a bundle with many errors reports all of them', async t => {
  const b = base()
  b.version = 3
  b.extra = true
  b.modules.jobs.actions.view.level = 'top'
  b.modules.jobs.actions.edit.flags = ['nope']
  b.modules.jobs.assigned = ['ghost']
  b.roles.r.modules.jobs = { access: 'assigned', level: 'full', allow: ['lock', 'lock'], deny: ['view'], denyy: [], fields: { price: 'write', cost: 'read' }, scope: { view: ['who'] } }
  b.roles.r.modules.trucks = {}
  b.roles.q = { all: 'yes', flags: ['zz'] }
  t.same(pairs(issuesOf(b)), [
    'duplicate_entry /roles/r/modules/jobs/allow/1',
    'invalid_field_mode /roles/r/modules/jobs/fields/price',
    'invalid_level /modules/jobs/actions/view/level',
    'invalid_type /roles/q/all',
    'unknown_action /roles/r/modules/jobs/allow/0',
    'unknown_field /roles/r/modules/jobs/fields/cost',
    'unknown_flag /modules/jobs/actions/edit/flags/0',
    'unknown_flag /roles/q/flags/0',
    'unknown_module /roles/r/modules/trucks',
    'unknown_property /extra',
    'unknown_property /roles/r/modules/jobs/denyy',
    'unknown_relation /modules/jobs/assigned/0',
    'unknown_relation /roles/r/modules/jobs/scope/view/0',
    'unsupported_version /version'
  ])
})

const validBundles: Array<[string, unknown]> = [
  ['the base bundle', base()],
  ['the decision-table bundle', richBundle],
  ['modules without roles', { version: 1, modules: { jobs: { actions: {} } }, roles: {} }],
  ['roles without modules', { version: 1, modules: {}, roles: { r: {}, s: { all: true } } }],
  ['AuthZEN interop names', {
    version: 1,
    modules: {
      route: { actions: { GET: { level: 'limited' }, POST: { level: 'full' } } },
      todo: { relations: ['ownerID'], actions: { can_read_todos: { level: 'limited' }, 'can_delete_todo:own': { level: 'limited' } } },
      '/users/{userId}': { actions: { 'a.b-c': { level: 'limited' } } }
    },
    roles: {
      viewer: { modules: { route: { access: 'all', level: 'limited' }, todo: { access: 'all', level: 'limited', scope: { 'can_delete_todo:own': ['ownerID'] } } } },
      'group/admin': { modules: { '/users/{userId}': { access: 'all', allow: ['a.b-c'] } } }
    }
  }]
]

t.test('valid bundles compile', async t => {
  for (const [name, b] of validBundles) t.same(issuesOf(b), [], name)
})

t.test('AuthZEN names decide like any other', async t => {
  const compiled = compileBundle(validBundles[4]?.[1])
  if (!compiled.ok) throw new Error('fixture')
  const viewer: Subject = { id: 'rick', roles: ['viewer'] }
  t.equal(decide(compiled.policy, { subject: viewer, action: 'GET', resource: { module: 'route', id: '/todos', relations: {} } }).allowed, true)
  t.equal(decide(compiled.policy, { subject: viewer, action: 'POST', resource: { module: 'route', id: '/todos', relations: {} } }).reason.code, 'level_insufficient')
  t.equal(decide(compiled.policy, { subject: viewer, action: 'can_delete_todo:own', resource: { module: 'todo', id: 't1', relations: { ownerID: ['rick'] } } }).allowed, true)
  t.equal(decide(compiled.policy, { subject: viewer, action: 'can_delete_todo:own', resource: { module: 'todo', id: 't1', relations: { ownerID: ['beth'] } } }).reason.code, 'not_in_scope')
  t.ok(NAME_REGEXP.test('can_read_user') && NAME_REGEXP.test('/todos/{todoId}') && !NAME_REGEXP.test('a b'))
  t.ok(isName('/todos/{todoId}') && !isName('__proto__') && !isName(''), 'isName: the pattern, without the reserved names')
})

t.test('the JSON Schema accepts every valid bundle and rejects shape errors', async t => {
  const ajv = new Ajv({ strict: true })
  const validate = ajv.compile(bundleJsonSchema)
  for (const [name, b] of validBundles) {
    t.ok(validate(b), `${name} ${JSON.stringify(validate.errors)}`)
    const compiled = compileBundle(b)
    if (compiled.ok) t.ok(validate(exportBundle(compiled.policy)), `exported ${name}`)
  }
  const misspelt = base()
  grant(misspelt).denyy = ['edit']
  t.notOk(validate(misspelt), 'a misspelt deny')
  const badLevel = base()
  badLevel.modules.jobs.actions.view.level = 'high'
  t.notOk(validate(badLevel), 'a bad level')
  const badName = base()
  badName.roles['r r'] = {}
  t.notOk(validate(badName), 'a bad name')
  t.notOk(validate({ ...base(), version: 2 }), 'version 2')
})

t.test('export drops defaults and orders keys', async t => {
  const compiled = compileBundle({
    roles: {
      r: {
        modules: { jobs: { fields: {}, scope: {}, deny: [], allow: [], level: 'limited', access: 'none', admin: false } },
        flags: [],
        all: false,
        fixed: false,
        protected: false,
        description: 'a role'
      },
      s: { modules: {} },
      t: { all: true, fixed: true, protected: true }
    },
    modules: { jobs: { fields: {}, actions: { view: { flags: [], level: 'limited', description: 'look' } }, relations: [], description: 'jobs' } },
    flags: {},
    version: 1
  })
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
  const exported = exportBundle(compiled.policy)
  t.equal(JSON.stringify(exported), JSON.stringify({
    version: 1,
    modules: { jobs: { description: 'jobs', actions: { view: { description: 'look', level: 'limited' } } } },
    roles: { r: { description: 'a role', modules: { jobs: { level: 'limited' } } }, s: {}, t: { protected: true, fixed: true, all: true } }
  }))
})

t.test('export keeps what is not a default', async t => {
  const exported = exportBundle(richPolicy())
  const roles = exported.roles
  t.same(roles.blind?.modules?.jobs, { level: 'full' }, 'access none and admin false dropped')
  t.same(roles.jobs_admin, { protected: true, modules: { jobs: { admin: true } } })
  t.same(roles.manager?.modules?.tickets, { access: 'all', level: 'limited' }, 'an empty scope dropped')
  t.same(roles.closer?.modules?.jobs?.scope, { close: ['creator'], delete: 'none' }, 'a per-action none is kept')
  t.same(exported.modules.jobs?.fields?.notes, {}, 'empty field flags dropped')
  t.same(exported.modules.jobs?.assigned, ['assignee', 'responsible'])
  t.same(roles.idle, {}, 'an empty role stays')
})

t.test('user_admin is exported as written, an empty by_role dropped', async t => {
  const rule = { module: 'jobs', create: ['edit'], edit: ['edit', 'view'], delete: ['edit'] }
  for (const [name, userAdmin, want] of [
    ['with by_role', { ...rule, by_role: { r: { module: 'plain', create: ['view'], edit: ['view'], delete: ['view'] } } }, { ...rule, by_role: { r: { module: 'plain', create: ['view'], edit: ['view'], delete: ['view'] } } }],
    ['with an empty by_role', { by_role: {}, ...rule }, rule],
    ['with a roles attribute', { ...rule, roles_attribute: 'tags' }, { ...rule, roles_attribute: 'tags' }],
    ['without by_role', rule, rule]
  ] as const) {
    const bundle = base()
    bundle.modules.jobs.attributes = { tags: ['string'] }
    const compiled = compileBundle({ ...bundle, user_admin: userAdmin })
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
    const exported = exportBundle(compiled.policy)
    t.same(exported.user_admin, want, name)
    t.same(Object.keys(exported), ['version', 'flags', 'modules', 'roles', 'user_admin'], `${name}: last key`)
  }
})

t.test('export returns a copy and the compiled bundle is frozen', async t => {
  const policy = richPolicy()
  const first = exportBundle(policy)
  first.roles = {}
  t.not(Object.keys(exportBundle(policy).roles).length, 0)
  t.ok(Object.isFrozen(policy.bundle) && Object.isFrozen(policy.bundle.modules.jobs?.actions))
  t.throws(() => { (policy.bundle.roles as Record<string, unknown>).x = {} })
})

t.test('export is idempotent', async t => {
  const once = exportBundle(richPolicy())
  const again = compileBundle(once)
  if (!again.ok) throw new Error(JSON.stringify(again.issues))
  t.equal(JSON.stringify(exportBundle(again.policy)), JSON.stringify(once))
})

/** Every combination of subjects, resources and actions the rich bundle gives meaning to. */
function * requests (): Generator<{ subject: Subject, action: string, resource: ResourceFacts, ancestors: ResourceFacts[] }> {
  const roleNames = [...Object.keys(richBundle.roles), 'ghost']
  const roleSets: string[][] = [[]]
  roleNames.forEach((a, i) => {
    roleSets.push([a])
    for (const b of roleNames.slice(i + 1)) roleSets.push([a, b])
  })
  const variants = (roles: string[]): Subject[] => [
    { id: 'u1', roles },
    { id: 'u1', roles: [], groups: ['crew-a'], aliases: ['marie'], projects: { 'site-12': roles } },
    { id: 'u1', roles, overrides: { flags: { manage_prices: true, delete_entities: false }, modules: { jobs: { access: 'assigned', level: 'management', allow: ['delete'] }, documents: { deny: ['edit'] } } } },
    { id: 'u1', roles, overrides: { modules: { jobs: { access: ['creator'] }, tickets: { level: 'full', access: 'all' }, invoices: { allow: ['approve'] } } } }
  ]
  const subjects: Subject[] = roleSets.flatMap(variants)
  subjects.push({ id: 'u1', roles: [], owner: true }, { id: 'u1', roles: ['superuser'], status: 'inactive' })
  const resources: Array<[ResourceFacts, ResourceFacts[]]> = []
  for (const [module, def] of Object.entries(richBundle.modules)) {
    const relations: readonly string[] = 'relations' in def ? def.relations : []
    const relationSets: Array<Record<string, string[]>> = [{}, ...relations.map(r => ({ [r]: ['u1'] })), ...relations.map(r => ({ [r]: ['group:crew-a', 'u9'] })), ...relations.map(r => ({ [r]: ['marie'] }))]
    const firstAction = Object.keys(def.actions)[0] as string
    for (const rel of relationSets) {
      for (const project of [undefined, 'site-12']) {
        const plain: ResourceFacts = { module, id: 'r1', relations: rel, ...(project === undefined ? {} : { project }) }
        resources.push([plain, []])
        resources.push([{ ...plain, acl: [{ who: 'u1', allow: [firstAction] }, { who: 'role:manager', deny: [firstAction] }] }, []])
        resources.push([{ ...plain, parent: 'p1' }, [{ module, id: 'p1', relations: {}, project: 'site-12', acl: [{ who: 'group:crew-a', allow: Object.keys(def.actions) }] }]])
      }
    }
  }
  for (const subject of subjects) {
    for (const [resource, ancestors] of resources) {
      for (const action of Object.keys(richBundle.modules[resource.module as keyof typeof richBundle.modules].actions)) {
        yield { subject, action, resource, ancestors }
      }
    }
  }
}

t.test('round trip: the exported bundle decides exactly as the source bundle', async t => {
  const source = richPolicy()
  const recompiled = compileBundle(exportBundle(source))
  if (!recompiled.ok) throw new Error(JSON.stringify(recompiled.issues))
  let total = 0
  let allowed = 0
  const mismatches: string[] = []
  const codes = new Set<string>()
  for (const request of requests()) {
    const a: Decision = decide(source, request)
    const b: Decision = decide(recompiled.policy, request)
    total++
    if (a.allowed) allowed++
    codes.add(a.reason.code)
    if (JSON.stringify(a) !== JSON.stringify(b) && mismatches.length < 5) mismatches.push(`${JSON.stringify(request)}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
  }
  t.same(mismatches, [], 'no decision differs')
  t.ok(total > 100_000, `${total} decisions compared`)
  t.ok(allowed > total / 20 && allowed < total * 0.95, `${allowed} allowed: the combinations are not degenerate`)
  const expectedCodes = ['owner', 'subject_inactive', 'override_deny', 'acl_allow', 'acl_deny', 'role_all', 'module_admin', 'role_grant', 'override_grant', 'action_denied', 'flag_missing', 'not_in_scope', 'level_insufficient', 'no_grant']
  t.same([...codes].sort(), expectedCodes.sort(), 'every reason of steps 1 to 6 occurs')
})

t.test('a bundle is compiled from its own data only', async t => {
  const b = base()
  const compiled = compileBundle(b)
  if (!compiled.ok) throw new Error('fixture')
  b.roles.r.modules.jobs.level = 'full'
  const exported: Bundle = exportBundle(compiled.policy)
  t.equal(exported.roles.r?.modules?.jobs?.level, 'limited', 'changing the input afterwards changes nothing')
})
