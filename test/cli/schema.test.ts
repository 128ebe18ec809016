/**
 * The published JSON Schema of the suite format (schemas/policy-test-suite.schema.json):
 * generated from src/service/policy-tests/schema.ts, valid for the suites the loader
 * accepts, and refusing the shapes it refuses. Regenerate the file with
 * `GATEHOUSE_WRITE_SCHEMA=1 npx tap test/cli/schema.test.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import t from 'tap'
import { parse } from 'yaml'
import { bundleJsonSchema } from '../../src/engine/index.js'
import { suiteJsonSchema } from '../../src/service/policy-tests/index.js'
import { fixture } from './helpers.js'

const schemaFile = new URL('../../schemas/policy-test-suite.schema.json', import.meta.url)
const generated = `${JSON.stringify(suiteJsonSchema, null, 2)}\n`
if (process.env.GATEHOUSE_WRITE_SCHEMA === '1') writeFileSync(schemaFile, generated)

const published = JSON.parse(readFileSync(schemaFile, 'utf8'))
const validate = new Ajv({ allErrors: true }).compile(published)

t.test('the committed schema is the generated one', async t => {
  t.equal(readFileSync(schemaFile, 'utf8'), generated, 'run `GATEHOUSE_WRITE_SCHEMA=1 npx tap test/cli/schema.test.ts` to update it')
  t.same(published.properties.bundle.anyOf[1], JSON.parse(JSON.stringify(bundleJsonSchema)), 'an inline bundle is the engine\'s bundle schema')
})

t.test('the fixture suites are valid', async t => {
  for (const name of ['jobs-suite.yaml', 'todo-suite.yaml']) {
    const ok = validate(parse(readFileSync(fixture(name), 'utf8')))
    t.ok(ok, `${name}: ${JSON.stringify(validate.errors)}`)
  }
})

t.test('shapes the loader refuses are refused', async t => {
  const base = { bundle: 'b.yaml', cases: [{ subject: 'a', action: 'view', resource: 'jobs/1', expect: 'allow' }] }
  t.ok(validate(base), JSON.stringify(validate.errors))
  const bad: Array<[string, unknown]> = [
    ['an unknown top-level key', { ...base, tests: [] }],
    ['no cases', { ...base, cases: [] }],
    ['a case with both forms', { ...base, cases: [{ subject: 'a', action: 'view', allow: ['view'], resource: 'jobs/1', expect: 'allow' }] }],
    ['a case with subject and role', { ...base, cases: [{ subject: 'a', role: 'r', action: 'view', resource: 'jobs/1', expect: 'allow' }] }],
    ['a case without expectation', { ...base, cases: [{ subject: 'a', resource: 'jobs/1' }] }],
    ['an unknown expectation', { ...base, cases: [{ subject: 'a', action: 'view', resource: 'jobs/1', expect: 'yes' }] }],
    ['an unknown reason', { ...base, cases: [{ subject: 'a', action: 'view', resource: 'jobs/1', expect: 'allow', reason: 'because' }] }],
    ['an unknown key in a subject', { ...base, subjects: { a: { role: ['x'] } } }],
    ['a resource without id', { ...base, resources: [{ type: 'jobs' }] }]
  ]
  for (const [name, suite] of bad) t.notOk(validate(suite), name)
  t.ok(validate({ ...base, cases: [{ role: ['r1', 'r2'], resource: { type: 'jobs', properties: { assignee: ['u1'] } }, allow: ['view'], deny: ['delete'], says: 'a sentence', fields: { visible: [] } }] }), 'a table row with role list, inline resource, says and fields')
})
