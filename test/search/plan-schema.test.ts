/**
 * The plan's JSON Schemas (`queryPlanJsonSchema`, `filterJsonSchema`) as the HTTP layer
 * will use them: registered with `addSchema` in Fastify, validating plans that
 * `planSearch` makes and refusing malformed ones, and turned into OpenAPI components
 * by @fastify/swagger (the way src/http/plugins/swagger.ts names components).
 */
import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t from 'tap'
import type { QueryPlan } from '../../src/engine/index.js'
import { compileBundle, filterJsonSchema, planSearch, queryPlanJsonSchema } from '../../src/engine/index.js'
import { searchFactsOf } from './oracle.js'
import { Rng, generateTenant } from './generator.js'

async function buildApp (): Promise<ReturnType<typeof Fastify>> {
  // The validator options of src/http/app.ts: nothing removed, coerced or defaulted.
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false, useDefaults: false } } })
  app.addSchema(filterJsonSchema)
  app.addSchema(queryPlanJsonSchema)
  await app.register(swagger, {
    openapi: { openapi: '3.1.0', info: { title: 'plan schema test', version: '0' } },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })
  app.post('/plans', {
    schema: { body: { $ref: 'QueryPlan#' }, response: { 200: { $ref: 'QueryPlan#' } } }
  }, async request => request.body)
  await app.ready()
  return app
}

t.test('every plan planSearch makes is valid under the schema and serialised unchanged', async t => {
  const app = await buildApp()
  t.teardown(() => app.close())
  const seed = process.env.GATEHOUSE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.GATEHOUSE_SEED)
  let checked = 0
  const kinds = new Set<string>()
  for (let i = 0; i < 30; i++) {
    const tenant = generateTenant(new Rng(seed + i))
    const compiled = compileBundle(tenant.bundle)
    if (!compiled.ok) throw new Error('the generator made an invalid bundle')
    for (const module of tenant.modules) {
      const facts = searchFactsOf(tenant.resources.get(module.name) ?? [])
      for (const subject of tenant.subjects) {
        for (const action of module.actions) {
          const plan = planSearch(compiled.policy, subject, action, module.name, facts)
          kinds.add(plan.kind)
          const res = await app.inject({ method: 'POST', url: '/plans', payload: plan })
          if (res.statusCode !== 200 || JSON.stringify(res.json()) !== JSON.stringify(plan)) {
            t.fail(`seed ${seed}: plan ${JSON.stringify(plan)} answered ${res.statusCode} ${res.body}`)
            return
          }
          checked++
        }
      }
    }
  }
  t.same([...kinds].sort(), ['always', 'conditional', 'never'], `${checked} plans of every kind (seed ${seed})`)
})

t.test('malformed plans are refused by the schema', async t => {
  const app = await buildApp()
  t.teardown(() => app.close())
  const bad: Array<[string, unknown]> = [
    ['an unknown kind', { kind: 'sometimes' }],
    ['a conditional plan without filter', { kind: 'conditional' }],
    ['an extra key', { kind: 'always', filter: { op: 'id_in', values: ['a'] } }],
    ['an unknown op', { kind: 'conditional', filter: { op: 'sql', values: ['1'] } }],
    ['an empty value list', { kind: 'conditional', filter: { op: 'id_in', values: [] } }],
    ['a value that is not a string', { kind: 'conditional', filter: { op: 'project_in', values: [1] } }],
    ['repeated values', { kind: 'conditional', filter: { op: 'id_in', values: ['a', 'a'] } }],
    ['an and with one argument', { kind: 'conditional', filter: { op: 'and', args: [{ op: 'id_in', values: ['a'] }] } }],
    ['a malformed nested filter', { kind: 'conditional', filter: { op: 'not', arg: { op: 'or', args: [{ op: 'id_in', values: ['a'] }, { op: 'relation_contains_any', values: ['u1'] }] } } }],
    ['a misspelt key', { kind: 'conditional', filter: { op: 'relation_contains_any', relation: 'assignee', value: ['u1'] } }]
  ]
  for (const [name, plan] of bad) {
    const res = await app.inject({ method: 'POST', url: '/plans', payload: plan as object })
    t.equal(res.statusCode, 400, name)
  }
  const good: QueryPlan = { kind: 'conditional', filter: { op: 'or', args: [{ op: 'id_in', values: ['a'] }, { op: 'and', args: [{ op: 'not', arg: { op: 'project_in', values: ['p'] } }, { op: 'relation_contains_any', relation: 'assignee', values: ['u1', 'group:g'] }] }] } }
  t.equal((await app.inject({ method: 'POST', url: '/plans', payload: good })).statusCode, 200, 'a well-formed plan passes')
})

t.test('@fastify/swagger makes QueryPlan and QueryPlanFilter components, and every reference resolves', async t => {
  const app = await buildApp()
  t.teardown(() => app.close())
  const doc = app.swagger() as { components?: { schemas?: Record<string, unknown> } }
  const schemas = doc.components?.schemas ?? {}
  t.ok('QueryPlan' in schemas && 'QueryPlanFilter' in schemas, 'both components are there')
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map(m => m[1] as string)
  t.ok(refs.length > 0, 'the document refers to them')
  for (const ref of new Set(refs)) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1]
    t.ok(name !== undefined && name in schemas, `${ref} resolves`)
  }
})
