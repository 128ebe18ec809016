/**
 * Check and list agree, in memory: on random tenants, for every subject, action and
 * stored resource, `decide` allows iff the resource satisfies `planSearch`'s plan
 * (read by `matchesPlan`). No database: this is the fast, wide half of the equivalence;
 * `equivalence.test.ts` adds the store and the SQL on both backends.
 * GATEHOUSE_SEED=<n> replays a run.
 */
import t from 'tap'
import type { CompiledPolicy, QueryPlan, ResourceFacts, Subject } from '../../src/engine/index.js'
import { compileBundle, decide, matchesPlan, planSearch } from '../../src/engine/index.js'
import { ancestorsOf, planResourceOf, searchFactsOf } from './oracle.js'
import type { GeneratedTenant } from './generator.js'
import { Rng, applyChanges, generateTenant, randomChanges } from './generator.js'

const TENANTS = 400
const seed = process.env.GATEHOUSE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.GATEHOUSE_SEED)
t.comment(`seed ${seed} (replay with GATEHOUSE_SEED=${seed})`)

function compiled (tenant: GeneratedTenant): CompiledPolicy {
  const c = compileBundle(tenant.bundle)
  if (!c.ok) throw new Error(`seed ${seed}: the generator made an invalid bundle: ${JSON.stringify(c.issues)}`)
  return c.policy
}

/** Cases checked, and the first disagreements in detail. */
function check (policy: CompiledPolicy, subjects: ReadonlyArray<Subject | undefined>, module: string, actions: readonly string[], resources: readonly ResourceFacts[], where: string): { cases: number, failures: string[] } {
  const byId = new Map(resources.map(r => [r.id, r]))
  const facts = searchFactsOf(resources)
  const read = resources.map(r => {
    const ancestors = ancestorsOf(byId, r)
    return { r, ancestors, plan: planResourceOf(r, ancestors) }
  })
  let cases = 0
  const failures: string[] = []
  for (const subject of subjects) {
    for (const action of actions) {
      const plan: QueryPlan = planSearch(policy, subject, action, module, facts)
      for (const { r, ancestors, plan: target } of read) {
        cases++
        const decision = decide(policy, { subject, action, resource: r, ancestors })
        if (decision.allowed !== matchesPlan(plan, target) && failures.length < 5) {
          failures.push(`${where}: subject ${subject?.id ?? '(unknown)'} ${action} ${module}/${r.id}: decide ${String(decision.allowed)} (${decision.reason.code}: ${decision.reason.message}) but plan ${JSON.stringify(plan)} on ${JSON.stringify(target)}`)
        }
      }
    }
  }
  return { cases, failures }
}

t.test(`decide and the plan agree on ${TENANTS} random tenants`, async t => {
  let cases = 0
  const failures: string[] = []
  for (let i = 0; i < TENANTS && failures.length === 0; i++) {
    const rng = new Rng(seed + i)
    const tenant = generateTenant(rng)
    const policy = compiled(tenant)
    const subjects = [...tenant.subjects, undefined]
    for (const module of tenant.modules) {
      const before = tenant.resources.get(module.name) ?? []
      const after = applyChanges(before, randomChanges(rng, tenant, module, before))
      for (const [phase, resources] of [['stored', before], ['changed', after]] as const) {
        const got = check(policy, subjects, module.name, module.actions, resources, `seed ${seed} tenant ${i} ${phase}`)
        cases += got.cases
        failures.push(...got.failures)
      }
    }
  }
  t.same(failures, [], `no disagreement (seed ${seed})`)
  t.ok(cases > 10_000, `${cases} (subject, action, resource) cases`)
  t.comment(`${cases} cases`)
})
