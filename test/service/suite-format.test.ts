/**
 * The policy-test suite's one definition (src/service/policy-tests/schema.ts), in the
 * style of test/engine/format-check.test.ts: the loader (its structure through the
 * engine's format-check, then its references), the published schema (Ajv) and TypeBox's
 * checker of the same definition agree on generated valid suites and on a table of
 * invalid ones, at the same path.
 */
import t from 'tap'
import { Ajv } from 'ajv'
import fc from 'fast-check'
import { Compile } from 'typebox/compile'
import { loadSuiteValue, suiteJsonSchema } from '../../src/service/policy-tests/index.js'
import { suiteFormat } from '../../src/service/policy-tests/schema.js'
import { ajvPaths } from '../helpers/ajv-paths.js'

// `strictRequired` off: the case rules (`allOf`) name the case's own properties in `required` inside combinators, which that option flags.
const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true })
const documented = ajv.compile(suiteJsonSchema)
const typebox = Compile(suiteFormat.schema)

const bundle = {
  version: 1,
  modules: { jobs: { relations: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } }, fields: { price: {} } } },
  roles: { r1: { modules: { jobs: { access: 'all', level: 'limited' } } }, r2: { modules: { jobs: { access: 'assigned', level: 'management' } } } }
}
const id = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/)

/** A suite whose structure and references hold: what all three accept. */
const validSuite = fc.record({
  subjects: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }),
  resources: fc.uniqueArray(id, { maxLength: 3 }),
  cases: fc.array(fc.record({
    byRole: fc.boolean(),
    table: fc.boolean(),
    stored: fc.boolean(),
    says: fc.option(fc.oneof(fc.string({ minLength: 1 }), fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 2 })), { nil: undefined }),
    name: fc.option(fc.string({ minLength: 1 }), { nil: undefined })
  }), { minLength: 1, maxLength: 4 })
}).map(({ subjects, resources, cases }) => ({
  $schema: '../schemas/policy-test-suite.schema.json',
  bundle,
  subjects: Object.fromEntries(subjects.map((s, i) => [s, { roles: [i % 2 === 0 ? 'r1' : 'r2'], ...(i === 0 ? { aliases: [`${s}@x.org`] } : {}) }])),
  resources: resources.map(r => ({ type: 'jobs', id: r, properties: { assignee: subjects[0] } })),
  cases: cases.map(c => ({
    ...(c.name === undefined ? {} : { name: c.name }),
    ...(c.says === undefined ? {} : { says: c.says }),
    ...(c.byRole ? { role: ['r1'] } : { subject: subjects[0] }),
    resource: c.stored && resources.length > 0 ? `jobs/${resources[0] as string}` : { type: 'jobs', properties: { assignee: 'someone' } },
    ...(c.table ? { allow: ['view'], deny: ['edit'] } : { action: 'edit', expect: 'deny', reason: 'level_insufficient' }),
    ...(c.table ? { fields: { visible: ['price'] } } : {})
  }))
}))

t.test('generated valid suites load, and pass the published schema (Ajv) and TypeBox\'s checker', async t => {
  fc.assert(fc.property(validSuite, suite => {
    const loaded = loadSuiteValue(suite, { file: 'body' })
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues))
    if (!documented(suite)) throw new Error(JSON.stringify(documented.errors))
    if (!typebox.Check(suite)) throw new Error('TypeBox\'s checker refused it')
  }), { numRuns: 200 })
  t.pass('200 generated suites')
})

type Json = Record<string, any>
const base = (): Json => ({
  bundle,
  subjects: { ann: { roles: ['r1'] } },
  resources: [{ type: 'jobs', id: 'j1' }],
  cases: [{ subject: 'ann', action: 'view', resource: 'jobs/j1', expect: 'allow' }, { role: 'r2', resource: { type: 'jobs' }, allow: ['view'], fields: { visible: [] } }]
})

/** Invalid shapes: all three refuse each, naming the same place. */
const invalid: Array<[string, (s: Json) => void, string]> = [
  ['a misspelt top-level key', s => { s.tests = [] }, '/tests'],
  ['no cases', s => { delete s.cases }, '/cases'],
  ['cases as an object', s => { s.cases = {} }, '/cases'],
  ['a name that is not a string', s => { s.name = 1 }, '/name'],
  ['an empty bundle path', s => { s.bundle = '' }, '/bundle'],
  ['a bundle that is a number', s => { s.bundle = 1 }, '/bundle'],
  ['subjects as a list', s => { s.subjects = [] }, '/subjects'],
  ['a subject that is not an object', s => { s.subjects.ann = 'r1' }, '/subjects/ann'],
  ['resources as an object', s => { s.resources = {} }, '/resources'],
  ['a resource without id', s => { delete s.resources[0].id }, '/resources/0/id'],
  ['a misspelt key in a resource', s => { s.resources[0].props = {} }, '/resources/0/props'],
  ['a resource type that is no name', s => { s.resources[0].type = 'a b' }, '/resources/0/type'],
  ['a case that is not an object', s => { s.cases[0] = 42 }, '/cases/0'],
  ['a misspelt key in a case', s => { s.cases[0].expected = 'deny' }, '/cases/0/expected'],
  ['a case without resource', s => { delete s.cases[0].resource }, '/cases/0/resource'],
  ['a resource that is a number', s => { s.cases[0].resource = 12 }, '/cases/0/resource'],
  ['an empty resource reference', s => { s.cases[0].resource = '' }, '/cases/0/resource'],
  ['a misspelt key in an inline resource', s => { s.cases[1].resource.kind = 'x' }, '/cases/1/resource/kind'],
  ['a subject that is a number', s => { s.cases[0].subject = 7 }, '/cases/0/subject'],
  ['a repeated subject', s => { s.cases[0].subject = ['ann', 'ann'] }, '/cases/0/subject/1'],
  ['an empty says list', s => { s.cases[0].says = [] }, '/cases/0/says'],
  ['an expectation outside the enum', s => { s.cases[0].expect = 'yes' }, '/cases/0/expect'],
  ['an empty allow list', s => { s.cases[1].allow = [] }, '/cases/1/allow'],
  ['empty fields', s => { s.cases[1].fields = {} }, '/cases/1/fields'],
  ['a misspelt key in fields', s => { s.cases[1].fields.visibel = [] }, '/cases/1/fields/visibel'],
  ['a context that is a list', s => { s.cases[0].context = [] }, '/cases/0/context']
]

t.test('invalid suites fail the published schema, TypeBox\'s checker and the loader, at the same path', async t => {
  for (const [what, change, path] of invalid) {
    const s = base()
    change(s)
    t.notOk(documented(s), `${what}: the published schema refuses it`)
    t.notOk(typebox.Check(s), `${what}: TypeBox's checker refuses it`)
    t.ok(ajvPaths(documented.errors).has(path), `${what}: the published schema names ${path}: ${JSON.stringify(documented.errors)}`)
    const loaded = loadSuiteValue(s, { file: 'body' })
    t.ok(!loaded.ok && loaded.issues.some(i => i.path === path), `${what}: the loader names ${path}: ${loaded.ok ? 'loaded' : JSON.stringify(loaded.issues)}`)
  }
})

t.test('what the definition leaves to the loader, the published schema documents', async t => {
  const cases: Array<[string, (s: Json) => void, string, string]> = [
    ['a case with subject and role', s => { s.cases[0].role = 'r1' }, '/cases/0/role', 'invalid_value'],
    ['a case with both forms', s => { s.cases[0].allow = ['view'] }, '/cases/0/action', 'invalid_value'],
    ['an unknown reason', s => { s.cases[0].reason = 'because' }, '/cases/0/reason', 'unknown_reason'],
    ['no case at all', s => { s.cases = [] }, '/cases', 'no_cases'],
    ['a bundle of the wrong shape', s => { s.bundle = { version: 2, modules: {}, roles: {} } }, '/bundle/version', 'unsupported_version'],
    ['a subject of the wrong shape', s => { s.subjects.ann.role = ['r1'] }, '/subjects/ann/role', 'unknown_property']
  ]
  for (const [what, change, path, code] of cases) {
    const s = base()
    change(s)
    t.ok(typebox.Check(s), `${what}: not the definition's to check`)
    t.notOk(documented(s), `${what}: the published schema refuses it`)
    const loaded = loadSuiteValue(s, { file: 'body' })
    t.ok(!loaded.ok && loaded.issues.some(i => i.path === path && i.code === code), `${what}: the loader says ${code} at ${path}: ${loaded.ok ? 'loaded' : JSON.stringify(loaded.issues)}`)
  }
})

t.test('a suite given as a value reports its issues in document order', async t => {
  const s = base()
  s.cases[1].allow = []
  s.zzz = 1
  s.cases[0].subject = 'nobody'
  const loaded = loadSuiteValue(s, { file: 'body' })
  t.same(loaded.ok ? [] : loaded.issues.map(i => i.path), ['/cases/0/subject', '/cases/1/allow', '/zzz'])
})
