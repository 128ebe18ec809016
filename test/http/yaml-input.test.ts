/**
 * Every route that takes YAML reads it with the one bounded parser: an alias bomb, an
 * unresolved or circular alias, a duplicate key or a text past a limit is a 400
 * `invalid_yaml` naming the problem's line and column, on `PUT /policy` (which used to
 * answer 500 to aliases) as on `/policy/tests` and `/policy/diff`, small text (parsed in
 * place) or large (parsed on the worker thread), and nothing is written.
 */
import t from 'tap'
import { YAML_LIMITS } from '../../src/service/policy-tests/source.js'
import { INLINE_PARSE_CHARS } from '../../src/service/yaml-parse.js'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

const YAML = { 'content-type': 'application/yaml' }

const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${Array(10).fill('*a').join(', ')}]\nc: &c [${Array(10).fill('*b').join(', ')}]\nd: [${Array(10).fill('*c').join(', ')}]\n`

/** Texts and the problem each is refused with (the diff names syntax problems `syntax_error`, as its CLI does). */
const CASES: Array<{ name: string, text: string, code: string, line: number, col: number, message: RegExp }> = [
  { name: 'an alias bomb', text: bomb, code: 'excessive_aliases', line: 1, col: 1, message: /excessive alias count/ },
  { name: 'an unresolved alias', text: 'version: 1\nmodules: *nothing\nroles: {}\n', code: 'unresolved_alias', line: 2, col: 10, message: /unresolved alias `\*nothing`/ },
  { name: 'a circular alias', text: 'version: 1\nmodules: &m { jobs: *m }\nroles: {}\n', code: 'circular_alias', line: 2, col: 21, message: /alias `\*m` is inside/ },
  { name: 'a duplicate key', text: 'version: 1\nmodules: {}\nroles: {}\nmodules: {}\n', code: 'duplicate_key', line: 4, col: 1, message: /map keys must be unique/ },
  { name: 'nesting past the depth limit', text: `version: 1\nmodules: ${'['.repeat(YAML_LIMITS.depth + 1)}${']'.repeat(YAML_LIMITS.depth + 1)}\nroles: {}\n`, code: 'too_deep', line: 2, col: 73, message: /nested more than 64 levels/ },
  {
    name: 'a map past the key limit (parsed on the worker)',
    text: `version: 1\nroles: {}\nmodules:\n${Array.from({ length: YAML_LIMITS.keys + 1 }, (_, i) => `  m${i}: {}`).join('\n')}\n`,
    code: 'too_many_keys',
    line: 4,
    col: 3,
    message: /a map holds more than 10000 keys/
  },
  {
    name: 'an unresolved alias in a large text (parsed on the worker)',
    text: `version: 1\nroles: {}\nmodules:\n${'  # padding\n'.repeat(Math.ceil(INLINE_PARSE_CHARS / 12))}  jobs: *nothing\n`,
    code: 'unresolved_alias',
    line: 4 + Math.ceil(INLINE_PARSE_CHARS / 12),
    col: 9,
    message: /unresolved alias/
  }
]

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const setup = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
  const routes: Array<{ method: 'PUT' | 'POST', url: string, diff: boolean }> = [
    { method: 'PUT', url: `/v1/tenants/${setup.tenant}/policy`, diff: false },
    { method: 'POST', url: `/v1/tenants/${setup.tenant}/policy/tests`, diff: false },
    { method: 'POST', url: `/v1/tenants/${setup.tenant}/policy/diff`, diff: true }
  ]

  for (const c of CASES) {
    await t.test(`${c.name} is a 400 invalid_yaml at its line and column on every YAML route`, async t => {
      for (const route of routes) {
        const before = await revisionOf(app, rootKey, setup.tenant)
        const res = await call(app, route.method, route.url, { key: setup.adminKey, body: c.text, headers: YAML })
        const name = `${route.method} ${route.url.replace(setup.tenant, '{tenant}')}`
        t.equal(res.statusCode, 400, `${name} answers 400`, { body: res.body })
        t.match(res.headers['content-type'], /^application\/json/)
        t.match(res.json(), {
          code: 'invalid_yaml',
          message: new RegExp(`^invalid yaml at line ${c.line}, column ${c.col}: `),
          details: [{ in: 'body', line: c.line, col: c.col, code: route.diff ? 'syntax_error' : c.code, message: c.message }]
        }, `${name} names the problem and its place`)
        t.notMatch(res.body, /\bat .+\.(ts|js):\d+/, 'no stack trace')
        t.equal(await revisionOf(app, rootKey, setup.tenant), before, 'nothing was written')
      }
    })
  }

  await t.test('a valid large YAML bundle is read on every route, as a small one is', async t => {
    const padding = '# a comment line to make the text large enough for the worker thread\n'.repeat(Math.ceil(INLINE_PARSE_CHARS / 60))
    const text = `${padding}version: 1\nmodules:\n  jobs:\n    actions: { view: { level: limited } }\nroles:\n  crew: { modules: { jobs: { access: all, level: limited } } }\n`
    const diff = await call(app, 'POST', routes[2]?.url ?? '', { key: setup.adminKey, body: text, headers: YAML })
    t.equal(diff.statusCode, 200, 'the diff reads it', { body: diff.body })
    const put = await call(app, 'PUT', routes[0]?.url ?? '', { key: setup.adminKey, body: text, headers: YAML })
    t.equal(put.statusCode, 200, 'the policy is imported', { body: put.body })
    const got = await call(app, 'GET', routes[0]?.url ?? '', { key: setup.adminKey })
    t.match(got.json(), { version: 1, roles: { crew: {} }, modules: { jobs: { actions: { view: { level: 'limited' } } } } })
  })
})
