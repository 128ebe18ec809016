/**
 * The three AuthZEN searches answer exactly what evaluation allows (issue 3). Random
 * tenants (test/search/generator.ts) are stored on each backend, then, through the
 * service layer the HTTP routes call, for every subject (and an unknown one), action
 * and stored resource:
 *
 *   search/resource (paged with random limits and tokens) returns the resource
 *     ⇔ evaluation allows it
 *   search/subject on the resource returns the subject  ⇔ evaluation allows it
 *   search/action for (subject, resource) returns the action  ⇔ evaluation allows it
 *
 * Each comparison sends random condition inputs alike to both sides (`action.properties`,
 * `context`, and `subject.properties` giving subject attributes; subject search sends no
 * subject properties, action search no action properties): the generated policies carry
 * conditions. The engine-level equivalence (plan ⇔ decide ⇔ store ⇔ planToSql) is
 * equivalence.test.ts; this one proves that the searches the API serves are built on it
 * faithfully (subject lookup, resource lookup with ancestors, paging). Seeded:
 * GATEHOUSE_SEED=<n> replays a run; GATEHOUSE_SERVICE_SEARCH_TENANTS=<n> sets the count.
 */
import t from 'tap'
import type { ConditionInputs, ResourceFacts } from '../../src/engine/index.js'
import { createServices } from '../../src/service/index.js'
import type { Services } from '../../src/service/index.js'
import type { SearchPageInput } from '../../src/service/search.js'
import { backends } from '../helpers/db.js'
import { ACL_HEAVY, DEFAULT_SHAPE, Rng, generateTenant, randomInputs } from './generator.js'

// A hang guard, not a speed bound: random and ACL-heavy tenants through the services on both databases: 83 s alone, over tap's 120 s default at load 17.
t.setTimeout(300_000)

const seed = process.env.GATEHOUSE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.GATEHOUSE_SEED)
const TENANTS = Number(process.env.GATEHOUSE_SERVICE_SEARCH_TENANTS ?? 8)
const replay = `replay with GATEHOUSE_SEED=${seed}`
t.comment(`seed ${seed} (${replay})`)

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Every page of a search, following tokens; a random small limit a third of the time. */
async function allPages<T> (rng: Rng, search: (page: SearchPageInput | undefined) => Promise<{ page: { next_token: string }, results: T[] }>): Promise<T[]> {
  const limit = rng.chance(0.35) ? rng.range(1, 4) : undefined
  const results: T[] = []
  let token: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const page: SearchPageInput | undefined = limit === undefined && token === undefined ? undefined : { ...(limit === undefined ? {} : { limit }), ...(token === undefined ? {} : { token }) }
    const res = await search(page)
    results.push(...res.results)
    if (res.page.next_token === '') return results
    token = res.page.next_token
  }
  throw new Error('more than 1000 pages')
}

/**
 * Random tenants, and ACL-heavy ones (issue 17: deep folder trees, deny entries, entry
 * conditions), the latter with a scan window of 4 rows so that sparse pages go through
 * the store's candidate path.
 */
const RUNS = [
  { label: '', shape: DEFAULT_SHAPE, tenants: TENANTS, seedOffset: 0, store: {} },
  { label: ' in ACL-heavy tenants', shape: ACL_HEAVY, tenants: Math.max(1, Math.ceil(TENANTS / 4)), seedOffset: 1_000_003, store: { searchScanWindow: 4 } }
] as const

for (const run of RUNS) {
  for (const harness of await backends(run.store)) {
    const TENANTS = run.tenants
    t.test(`search and evaluation agree on ${harness.name}${run.label}`, { skip: harness.skip }, async t => {
      const backend = await harness.open()
      t.teardown(() => backend.close())
      const services: Services = createServices({ store: backend.store, rootKey: 'unused-root-key' })
      const failures: string[] = []
      const fail = (message: string): void => { if (failures.length < 8) failures.push(`${message} (${replay})`) }
      let cases = 0

      for (let i = 0; i < TENANTS && failures.length === 0; i++) {
        const rng = new Rng(seed + run.seedOffset + i)
        const paging = new Rng((seed + run.seedOffset + i) ^ 0x2545f491)
        const inputsRng = new Rng((seed + run.seedOffset + i) ^ 0x1b873593)
        const tenant = generateTenant(rng, run.shape)
        const tenantId = `svc-search-${harness.name}-${seed}-${i}-${Math.random().toString(36).slice(2, 8)}`
        await backend.store.putTenant(tenantId, { name: `service search ${i}` })
        await backend.store.putPolicy(tenantId, tenant.bundle)
        for (const subject of tenant.subjects) await backend.store.putSubject(tenantId, subject)
        for (const module of tenant.modules) {
          for (const r of tenant.resources.get(module.name) ?? []) await backend.store.putResource(tenantId, r)
        }
        const subjectIds = [...tenant.subjects.map(s => s.id), 'nobody']
        /** The AuthZEN entities carrying the inputs, as a client sends them. */
        const entities = (subject: string | undefined, action: string | undefined, inputs: ConditionInputs) => ({
          subject: { type: 'user', ...(subject === undefined ? {} : { id: subject }), ...(inputs.subjectAttributes === undefined ? {} : { properties: { ...inputs.subjectAttributes, ignored: [1] } }) },
          action: { name: action ?? '', ...(inputs.actionProperties === undefined ? {} : { properties: { ...inputs.actionProperties } }) },
          ...(inputs.context === undefined ? {} : { context: { ...inputs.context } })
        })
        const allows = async (subject: string, action: string, resource: ResourceFacts, inputs: ConditionInputs): Promise<boolean> => {
          const { subject: s, action: a, context } = entities(subject, action, inputs)
          const r = await services.decisions.evaluate(tenantId, { subject: { ...s, id: subject }, action: a, resource: { type: resource.module, id: resource.id }, ...(context === undefined ? {} : { context }) })
          return r.decision
        }

        for (const module of tenant.modules) {
        // The stored resources of the module: the last write of each id wins.
          const stored = [...new Map((tenant.resources.get(module.name) ?? []).map(r => [r.id, r])).values()]
          const ids = stored.map(r => r.id).sort()
          for (const subject of subjectIds) {
            for (const action of module.actions) {
              const inputs = randomInputs(inputsRng, tenant)
              const allowed: string[] = []
              for (const r of stored) if (await allows(subject, action, r, inputs)) allowed.push(r.id)
              allowed.sort()
              cases += stored.length
              const { subject: s, action: a, context } = entities(subject, action, inputs)
              const found = await allPages(paging, page => services.search.resources(tenantId, {
                subject: { ...s, id: subject }, action: a, resource: { type: module.name }, ...(context === undefined ? {} : { context }), ...(page === undefined ? {} : { page })
              }))
              const listed = found.map(r => r.id)
              if (!same(listed, allowed)) fail(`tenant ${i}: ${subject} ${action} ${module.name}: evaluation allows ${JSON.stringify(allowed)}, search/resource returns ${JSON.stringify(listed)}`)
            }
          }
          for (const id of ids) {
            const resource = stored.find(r => r.id === id) as ResourceFacts
            for (const action of module.actions) {
              const { subjectAttributes: _none, ...inputs } = randomInputs(inputsRng, tenant)
              const allowed: string[] = []
              for (const subject of tenant.subjects.map(s => s.id).sort()) if (await allows(subject, action, resource, inputs)) allowed.push(subject)
              cases += tenant.subjects.length
              const { action: a, context } = entities(undefined, action, inputs)
              const found = (await allPages(paging, page => services.search.subjects(tenantId, {
                subject: { type: 'user' }, action: a, resource: { type: module.name, id }, ...(context === undefined ? {} : { context }), ...(page === undefined ? {} : { page })
              }))).map(s => s.id)
              if (!same(found, allowed)) fail(`tenant ${i}: who may ${action} ${module.name}/${id}: evaluation allows ${JSON.stringify(allowed)}, search/subject returns ${JSON.stringify(found)}`)
            }
            for (const subject of subjectIds) {
              const { actionProperties: _none, ...inputs } = randomInputs(inputsRng, tenant)
              const allowed: string[] = []
              for (const action of module.actions) if (await allows(subject, action, resource, inputs)) allowed.push(action)
              cases += module.actions.length
              const { subject: s, context } = entities(subject, undefined, inputs)
              const found = (await allPages(paging, page => services.search.actions(tenantId, {
                subject: { ...s, id: subject }, resource: { type: module.name, id }, ...(context === undefined ? {} : { context }), ...(page === undefined ? {} : { page })
              }))).map(a => a.name)
              if (!same(found, allowed)) fail(`tenant ${i}: what may ${subject} do on ${module.name}/${id}: evaluation allows ${JSON.stringify(allowed)}, search/action returns ${JSON.stringify(found)}`)
            }
          }
        }
      }
      t.same(failures, [], `the three searches agree with evaluation (seed ${seed})`)
      t.ok(cases >= 1000, `${cases} (subject, action, resource) cases`)
    })
  }
}
