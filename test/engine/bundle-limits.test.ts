import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { parse } from 'yaml'
import { BUNDLE_LIMITS, BUNDLE_LIMIT_CODES, bundleLimitIssues } from '../../src/engine/bundle-limits.js'
import type { BundleLimitCode } from '../../src/engine/bundle-limits.js'
import { compileBundle } from '../../src/engine/index.js'

type Json = Record<string, any>

const names = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const mapOf = <T>(keys: string[], value: (key: string) => T): Record<string, T> => Object.fromEntries(keys.map(k => [k, value(k)]))

/** A valid bundle of `modules` modules of one action each, and `roles` roles that each grant on `grantsPerRole` of them. */
function sized (modules: number, roles: number, grantsPerRole: number): Json {
  const moduleNames = names(modules, 'm')
  return {
    version: 1,
    modules: mapOf(moduleNames, () => ({ actions: { view: { level: 'limited' } } })),
    roles: mapOf(names(roles, 'r'), () => ({ modules: mapOf(moduleNames.slice(0, grantsPerRole), () => ({ access: 'all' })) }))
  }
}

interface LimitCase {
  name: string
  input: unknown
  want: Array<[code: BundleLimitCode, path: string]>
  /** The first issue's exact message, when given. */
  message?: string
}

const L = BUNDLE_LIMITS
const cases: LimitCase[] = [
  { name: 'a bundle at every count limit', input: sized(L.modules, 6, L.grants / 6 - 1), want: [] },
  { name: 'not an object: checkBundle says what it is', input: [1, 2], want: [] },
  { name: 'a scalar', input: 'bundle', want: [] },
  { name: 'malformed parts are not counted', input: { version: 1, modules: [1], roles: { r: 3, s: { modules: 'x' } }, flags: 'x' }, want: [] },
  { name: 'modules', input: sized(L.modules + 1, 1, 1), want: [['too_many_modules', '/modules']], message: `modules: ${L.modules + 1}, more than the ${L.modules} a bundle may hold` },
  { name: 'roles', input: sized(1, L.roles + 1, 1), want: [['too_many_roles', '/roles']] },
  { name: 'grants, summed over roles', input: sized(L.grants / 8, 9, L.grants / 8), want: [['too_many_grants', '/roles']] },
  {
    name: 'flags',
    input: { version: 1, flags: mapOf(names(L.flags + 1, 'f'), () => 'x'), modules: {}, roles: {} },
    want: [['too_many_flags', '/flags']]
  },
  {
    name: 'actions, fields and relations of one module, named in its path',
    input: {
      version: 1,
      modules: {
        'a/b': {
          relations: names(L.relationsPerModule + 1, 'rel'),
          actions: mapOf(names(L.actionsPerModule + 1, 'act'), () => ({ level: 'limited' })),
          fields: mapOf(names(L.fieldsPerModule + 1, 'fld'), () => ({}))
        },
        fine: { relations: 'not a list', actions: {} },
        odd: 7
      },
      roles: {}
    },
    want: [['too_many_actions', '/modules/a~1b/actions'], ['too_many_fields', '/modules/a~1b/fields'], ['too_many_relations', '/modules/a~1b/relations']],
    message: `actions of module \`a/b\`: ${L.actionsPerModule + 1}, more than the ${L.actionsPerModule} a bundle may hold`
  },
  { name: 'values: one list too long', input: { version: 1, modules: {}, roles: {}, x: new Array(L.values).fill(0) }, want: [['too_many_values', '']] },
  { name: 'values: one object of many keys', input: mapOf(names(L.values, 'k'), () => null), want: [['too_many_values', '']] },
  { name: 'values: deep nesting', input: Array.from({ length: L.values }).reduce<unknown>(inner => [inner], 0), want: [['too_many_values', '']] },
  { name: 'values: exactly the limit', input: { a: new Array(L.values - 2).fill(0) }, want: [] }
]

t.test('bundle limits', async t => {
  for (const c of cases) {
    t.test(c.name, async t => {
      const issues = bundleLimitIssues(c.input)
      t.same(issues.map(i => `${i.code} ${i.path}`).sort(), c.want.map(([code, path]) => `${code} ${path}`).sort())
      if (c.message !== undefined) t.equal(issues[0]?.message, c.message)
      for (const i of issues) t.notOk(/^[A-Z]|\.$|\n/.test(i.message), `message style: ${i.message}`)
    })
  }
})

t.test('the cases exercise every limit code', async t => {
  t.same([...new Set(cases.flatMap(c => c.want.map(([code]) => code)))].sort(), Object.keys(BUNDLE_LIMIT_CODES).sort())
})

t.test('a bundle at the count limits is a valid bundle: the limits refuse no bundle smaller than that', async t => {
  t.ok(compileBundle(sized(L.modules, 6, L.grants / 6 - 1)).ok)
})

t.test('every shipped template is far within every limit', async t => {
  const dir = new URL('../../src/templates/', import.meta.url)
  const templates = readdirSync(dir, { withFileTypes: true }).filter(d => d.isDirectory()).map(d => d.name)
  t.ok(templates.length >= 5)
  for (const name of templates) {
    const bundle = parse(readFileSync(new URL(`${name}/bundle.yaml`, dir), 'utf8'))
    t.same(bundleLimitIssues(bundle), [], name)
    // Ten times the template is still within the limits (modules and roles renamed apart).
    const tenfold: Json = { version: 1, modules: {}, roles: {} }
    for (let i = 0; i < 10; i++) {
      for (const [m, def] of Object.entries(bundle.modules)) tenfold.modules[`${m}_${i}`] = def
      for (const [r, def] of Object.entries<Json>(bundle.roles)) {
        tenfold.roles[`${r}_${i}`] = { ...def, modules: Object.fromEntries(Object.entries(def.modules ?? {}).map(([m, g]) => [`${m}_${i}`, g])) }
      }
    }
    t.same(bundleLimitIssues(tenfold), [], `${name} × 10`)
  }
})
