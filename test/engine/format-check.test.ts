/**
 * The one shape toolkit (src/engine/format-check.ts) and the bundle's one definition
 * (src/engine/bundle-format.ts): the documented schema and the validator agree, on
 * generated valid bundles and on a table of invalid ones; and the toolkit's generic
 * messages, orderings and normalization on a small format of its own.
 */
import t from 'tap'
import { Ajv } from 'ajv'
import fc from 'fast-check'
import Type from 'typebox'
import { bundleFormat } from '../../src/engine/bundle-format.js'
import { Compile } from 'typebox/compile'
import { defineFormat, documentedSchema, inDocumentOrder } from '../../src/engine/format-check.js'
import { bundleJsonSchema, compileBundle, exportBundle } from '../../src/engine/index.js'
import type { Issue } from '../../src/engine/index.js'
import { ajvPaths } from '../helpers/ajv-paths.js'

const ajv = new Ajv({ strict: true, allErrors: true })
const documented = ajv.compile(bundleJsonSchema)
/** TypeBox's own compiled checker of the same definition: a third opinion. */
const typebox = Compile(bundleFormat.schema)

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/)
const level = fc.constantFrom('limited', 'management', 'full')

/** A structurally valid bundle whose references hold: what the documented schema and the validator must both accept. */
const validBundle = fc.record({
  flags: fc.uniqueArray(name, { maxLength: 3 }),
  modules: fc.uniqueArray(fc.record({
    name,
    relations: fc.uniqueArray(name, { maxLength: 3 }),
    actions: fc.uniqueArray(fc.record({ name, level, description: fc.option(fc.string(), { nil: undefined }) }), { minLength: 1, maxLength: 4, selector: a => a.name }),
    fields: fc.uniqueArray(name, { maxLength: 3 })
  }), { maxLength: 4, selector: m => m.name }),
  roles: fc.uniqueArray(fc.record({ name, all: fc.boolean(), protected: fc.boolean(), grantAll: fc.boolean(), level: fc.option(level, { nil: undefined }) }), { maxLength: 3, selector: r => r.name })
}).map(({ flags, modules, roles }) => ({
  version: 1,
  flags: Object.fromEntries(flags.map(f => [f, `flag ${f}`])),
  modules: Object.fromEntries(modules.map(m => [m.name, {
    ...(m.relations.length > 0 ? { relations: m.relations } : {}),
    actions: Object.fromEntries(m.actions.map(a => [a.name, {
      level: a.level,
      ...(a.description === undefined ? {} : { description: a.description }),
      ...(flags.length > 0 ? { flags: [flags[0]] } : {})
    }])),
    fields: Object.fromEntries(m.fields.map(f => [f, {}]))
  }])),
  roles: Object.fromEntries(roles.map(r => [r.name, {
    all: r.all,
    protected: r.protected,
    modules: Object.fromEntries(modules.map(m => [m.name, {
      access: r.grantAll ? 'all' : m.relations.length > 0 ? [m.relations[0]] : 'none',
      ...(r.level === undefined ? {} : { level: r.level }),
      allow: [m.actions[0]?.name],
      scope: { [m.actions.at(-1)?.name as string]: 'all' },
      fields: Object.fromEntries(m.fields.map(f => [f, 'read']))
    }]))
  }]))
}))

t.test('generated valid bundles pass the validator, the documented schema (Ajv) and TypeBox\'s checker, before and after export', async t => {
  fc.assert(fc.property(validBundle, bundle => {
    const compiled = compileBundle(bundle)
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
    if (!documented(bundle)) throw new Error(JSON.stringify(documented.errors))
    if (!typebox.Check(bundle)) throw new Error('TypeBox\'s checker refused it')
    if (!documented(exportBundle(compiled.policy))) throw new Error(`exported: ${JSON.stringify(documented.errors)}`)
  }), { numRuns: 200 })
  t.pass('200 generated bundles')
})

type Json = Record<string, any>
const base = (): Json => ({
  version: 1,
  flags: { f: 'a flag' },
  modules: { jobs: { relations: ['assignee'], actions: { view: { level: 'limited' } }, fields: { price: {} } } },
  roles: { r: { modules: { jobs: { access: 'all', level: 'limited', allow: ['view'] } } } }
})

/** Invalid shapes: the documented schema and the validator both refuse each, naming the same place. */
const invalid: Array<[string, (b: Json) => void, string]> = [
  ['a misspelt key', b => { b.role = {} }, '/role'],
  ['a missing version', b => { delete b.version }, '/version'],
  ['version 2', b => { b.version = 2 }, '/version'],
  ['modules as a list', b => { b.modules = [] }, '/modules'],
  ['an action without level', b => { b.modules.jobs.actions.view = {} }, '/modules/jobs/actions/view/level'],
  ['a level outside the enum', b => { b.modules.jobs.actions.view.level = 'high' }, '/modules/jobs/actions/view/level'],
  ['a bad module name', b => { b.modules['a b'] = { actions: {} } }, '/modules/a b'],
  ['`__proto__` as a role name', b => { Object.defineProperty(b.roles, '__proto__', { value: {}, enumerable: true }) }, '/roles/__proto__'],
  ['a repeated relation', b => { b.modules.jobs.relations.push('assignee') }, '/modules/jobs/relations/1'],
  ['a relation that is not a string', b => { b.modules.jobs.relations.push(5) }, '/modules/jobs/relations/1'],
  ['an access that is no keyword', b => { b.roles.r.modules.jobs.access = 'some' }, '/roles/r/modules/jobs/access'],
  ['an access list with a bad name', b => { b.roles.r.modules.jobs.access = ['a b'] }, '/roles/r/modules/jobs/access/0'],
  ['a field mode outside the enum', b => { b.roles.r.modules.jobs.fields = { price: 'write' } }, '/roles/r/modules/jobs/fields/price'],
  ['a boolean as a string', b => { b.roles.r.all = 'yes' }, '/roles/r/all'],
  ['an unknown key in a grant', b => { b.roles.r.modules.jobs.denyy = [] }, '/roles/r/modules/jobs/denyy'],
  ['an attribute of an unknown type', b => { b.modules.jobs.attributes = { due: 'date' } }, '/modules/jobs/attributes/due'],
  ['an attribute named after a CEL keyword', b => { b.subject_attributes = { in: 'string' } }, '/subject_attributes/in'],
  ['an empty create list in user_admin', b => { b.user_admin = { module: 'jobs', create: [], edit: ['view'], delete: ['view'] } }, '/user_admin/create'],
  ['a condition that is not a string', b => { b.modules.jobs.actions.view.when = true }, '/modules/jobs/actions/view/when']
]

t.test('invalid bundles fail the documented schema, TypeBox\'s checker and the validator, at the same path', async t => {
  for (const [what, change, path] of invalid) {
    const b = base()
    change(b)
    t.notOk(documented(b), `${what}: the documented schema refuses it`)
    t.notOk(typebox.Check(b), `${what}: TypeBox's checker refuses it`)
    t.ok(ajvPaths(documented.errors).has(path), `${what}: the documented schema names ${path}: ${JSON.stringify(documented.errors)}`)
    const compiled = compileBundle(b)
    t.ok(!compiled.ok && compiled.issues.some(i => i.path === path), `${what}: the validator names ${path}: ${compiled.ok ? 'accepted' : JSON.stringify(compiled.issues)}`)
  }
})

/** A small format of the toolkit's own, using every keyword it reads. */
const Small = Type.Object({
  tag: Type.String({ minLength: 1 }),
  code: Type.Optional(Type.String({ pattern: '^[A-Z]+$' })),
  kind: Type.Optional(Type.Enum(['a', 'b'])),
  one: Type.Optional(Type.Literal('one')),
  pair: Type.Optional(Type.Array(Type.Number(), { minItems: 2, maxItems: 2 })),
  many: Type.Optional(Type.Array(Type.String(), { uniqueItems: true })),
  either: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String()), Type.Enum([1, 'one'])])),
  coded: Type.Optional(Type.Union([Type.Enum(['x']), Type.Boolean()], { issue: { code: 'invalid_access' } })),
  mixed: Type.Optional(Type.Union([Type.Enum([1, 'one'])])),
  open: Type.Optional(Type.Object({}, { minProperties: 1 })),
  bag: Type.Optional(Type.Unsafe<unknown[]>({ type: 'array' })),
  nested: Type.Optional(Type.Object({ deep: Type.Boolean() }, { additionalProperties: false })),
  dict: Type.Optional(Type.Unsafe<Record<string, boolean>>({ type: 'object', additionalProperties: Type.Boolean() })),
  some: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  numbers: Type.Optional(Type.Array(Type.Number(), { uniqueItems: true }))
}, { additionalProperties: false })
const small = defineFormat(Small)
const issuesOf = (value: unknown): string[] => {
  const checked = small.check(value)
  return checked.ok ? [] : checked.issues.map(i => `${i.code} ${i.path}: ${i.message}`)
}

t.test('the toolkit says what is wrong, where, in plain words', async t => {
  t.same(issuesOf({ tag: 'x' }), [], 'a valid value')
  t.same(issuesOf(5), ['invalid_type : the document must be an object, not a number'], 'a root without `what` is "the document"')
  t.same(issuesOf({
    tag: '', code: 'ab', kind: 'c', bag: [1], one: 'two', pair: [1], many: ['a', 'a', 3], either: 5, coded: 'y', open: {}, nested: { deep: 1, deeper: true }, dict: { k: 1 }, some: [], numbers: [1, 2, 1]
  }), [
    'invalid_value /tag: `tag` must not be empty',
    'invalid_value /code: `code` `ab` does not have the expected form',
    'invalid_value /kind: invalid value `c` of `kind`: expected `a` or `b`',
    'invalid_value /one: invalid value `two` of `one`: expected `one`',
    'invalid_value /pair: `pair` must hold at least 2 entries',
    'duplicate_entry /many/1: duplicate entry `a` in `many`',
    'invalid_type /many/2: entries of `many` must be strings, not a number',
    'invalid_type /either: `either` must be a string or a list, not a number',
    'invalid_access /coded: invalid value `y` of `coded`',
    'invalid_value /open: `open` must not be empty',
    'invalid_type /nested/deep: `deep` of the document must be a boolean, not a number',
    'unknown_property /nested/deeper: unknown property `deeper` in `nested`',
    'invalid_type /dict/k: `k` in `dict` must be a boolean, not a number',
    'invalid_value /some: `some` must not be an empty list',
    'duplicate_entry /numbers/2: duplicate entry `1` in `numbers`'
  ])
  t.same(issuesOf({ tag: 'x', code: undefined, open: { free: 1 }, pair: [1, 2, 3], either: ['a', 5] }), [
    'invalid_value /pair: `pair` must hold at most 2 entries',
    'invalid_type /either/1: entries of `either` must be strings, not a number'
  ], 'a union checks inside the variant of the value\'s type')
  t.same(issuesOf({}), ['missing_property /tag: the document lacks required property `tag`'])
})

t.test('notes reword a format: expected types, listed keys, variants that name themselves, its own type names', async t => {
  const Worded = Type.Object({
    ref: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Object({ id: Type.String() }, { additionalProperties: false, issue: { what: 'the inline ref' } })], { issue: { what: '`ref`', expected: 'an id or an object' } })),
    count: Type.Optional(Type.Number({ issue: { expected: 'a count' } })),
    code: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Z]+$', issue: { code: 'invalid_name', message: 'bad code {value}' } })),
    list: Type.Optional(Type.Array(Type.String()))
  }, { additionalProperties: false, issue: { what: 'the worded thing', listKeys: true } })
  const worded = defineFormat(Worded, { jsonType: v => Array.isArray(v) ? 'a list' : typeof v })
  const issues = (value: unknown): string[] => { const c = worded.check(value); return c.ok ? [] : c.issues.map(i => `${i.code} ${i.path}: ${i.message}`) }
  t.same(issues({ ref: 5, count: 'x', code: '', list: {}, other: 1 }), [
    'invalid_type /ref: `ref` must be an id or an object, not number',
    'invalid_type /count: `count` must be a count, not string',
    'invalid_value /code: `code` must not be empty',
    'invalid_type /list: `list` must be a list, not object',
    'unknown_property /other: unknown property `other` in the worded thing: expected `ref`, `count`, `code`, `list`'
  ])
  t.same(issues({ ref: { id: 1, x: 2 }, code: 'ab', list: 'a' }), [
    'invalid_type /ref/id: `id` of the inline ref must be a string, not number',
    'unknown_property /ref/x: unknown property `x` in the inline ref',
    'invalid_name /code: bad code `ab`',
    'invalid_type /list: `list` must be a list, not string'
  ])
  t.same(issues({ ref: '' }), ['invalid_value /ref: `ref` must not be empty'], 'a variant without `what`: the union names the value')
  t.same(issues([]), ['invalid_type : the worded thing must be an object, not a list'])
  const documented = documentedSchema(Type.Object({ blob: Type.Unsafe({ type: 'object', issue: { documented: { required: ['x'] } } }) }))
  t.same((documented.properties as Record<string, unknown>).blob, { type: 'object', required: ['x'] }, 'a `documented` note is merged into the documented schema')
  t.ok(defineFormat(Type.Object({ blob: Type.Unsafe<Record<string, unknown>>({ type: 'object', issue: { documented: { required: ['x'] } } }) })).check({ blob: {} }).ok, 'and never read by the validator')
})

t.test('repeats are found in long lists as in short ones', async t => {
  const long = Array.from({ length: 20 }, (_, i) => `e${i}`)
  t.same(issuesOf({ tag: 'x', many: [...long, 'e3'], numbers: [...long.map((_, i) => i), 3] }), [
    'duplicate_entry /many/20: duplicate entry `e3` in `many`',
    'duplicate_entry /numbers/20: duplicate entry `3` in `numbers`'
  ])
  t.same(issuesOf({ tag: 'x', many: long }), [])
})

t.test('a keyword the toolkit does not implement is refused when the format is defined, never ignored', async t => {
  t.throws(() => defineFormat(Type.Object({ small: Type.Number({ maximum: 10 }) })), /the keyword `maximum` is not implemented/)
})

t.test('issues come in document order: written keys first, a missing one after them, an enclosing value first', async t => {
  const value = { b: [{ y: 1, x: 2 }], a: 'x', 'c/d': 1 }
  const issue = (path: string): Issue => ({ path, code: 'invalid_value', message: path })
  const sorted = inDocumentOrder(value, ['/a', '/missing', '/b/0/x', '/b/0', '/b/0/y', '/c~1d', '/a/deeper', ''].map(issue)).map(i => i.path)
  t.same(sorted, ['', '/b/0', '/b/0/y', '/b/0/x', '/a', '/a/deeper', '/c~1d', '/missing'])
})

t.test('the documented schema has no annotations; normalization orders keys, drops defaults and copies', async t => {
  const schema = Type.Object({
    first: Type.Optional(Type.Boolean({ default: false })),
    list: Type.Optional(Type.Array(Type.String(), { default: [] })),
    map: Type.Optional(Type.Unsafe<Record<string, string[]>>({ type: 'object', additionalProperties: Type.Array(Type.String()) })),
    either: Type.Optional(Type.Union([Type.Enum(['x']), Type.Array(Type.String())])),
    mixed: Type.Optional(Type.Union([Type.Enum([1, 'one'])])),
    loose: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Any()])),
    bag: Type.Optional(Type.Unsafe<unknown[]>({ type: 'array' })),
    blob: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
    both: Type.Optional(Type.Object({ b: Type.Number(), a: Type.Number() }, { additionalProperties: Type.String() }))
  }, { issue: { what: 'the thing' } })
  t.same(Object.keys(documentedSchema(schema)).includes('issue'), false)
  const input = { both: JSON.parse('{"x":"1","a":1,"__proto__":"p","b":2}'), blob: { b: [1] }, bag: [1], loose: 'x', mixed: 'one' as const, either: ['a'], map: { k: ['v'] }, list: [], first: false }
  const checked = defineFormat(schema).check(input)
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues))
  const out = checked.value
  t.same(JSON.stringify(out), JSON.stringify({ map: { k: ['v'] }, either: ['a'], mixed: 'one', loose: 'x', bag: [1], blob: { b: [1] }, both: JSON.parse('{"b":2,"a":1,"x":"1","__proto__":"p"}') }))
  t.equal(Object.getPrototypeOf(out.both), Object.prototype, 'a key `__proto__` stays a key')
  t.not(out.map, input.map, 'a copy')
  t.not(out.bag, input.bag, 'a copy of a list without `items`')
  const checkOnly = defineFormat(schema, { normalize: false })
  const same = checkOnly.check(input)
  t.ok(same.ok && same.value === input, '`normalize: false` gives the value as written')
  const bad = checkOnly.check({ ...input, both: { a: 'x', b: 2, c: 3 }, list: [1] })
  t.same(bad.ok ? [] : bad.issues.map(i => i.path), ['/both/a', '/both/c', '/list/0'], 'and checks the same')
})
