/**
 * Run by `memory-bench.ts` in a fresh process with `--expose-gc`: loads TENANTS tenants
 * (each its own policy of MODULES modules and ROLES roles) and SUBJECTS subjects in all
 * into the service's own in-memory state (`TenantStates`, the form a decision reads), then
 * answers one decision per subject so that whatever a decision caches is built too, and
 * prints the process's memory before and after as one JSON line on stdout.
 *
 * The store is an in-memory source of the generated documents, so that only what the
 * service holds is counted, not a database driver's buffers.
 */
import { DecisionService } from '../../../src/service/decisions.js'
import { ResourceCache } from '../../../src/service/resource-cache.js'
import { TenantStates } from '../../../src/service/tenant-state.js'
import type { Bundle, Subject } from '../../../src/engine/model.js'
import type { Store } from '../../../src/store/store.js'
import { Random } from '../lib/random.js'

const [tenants, modules, roles, subjects] = process.argv.slice(2).map(Number) as [number, number, number, number]
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const ACTIONS = { view: 'limited', note: 'limited', create: 'full', edit: 'management', delete: 'full', export: 'management' } as const
const LEVELS = ['limited', 'full', 'management'] as const

function bundleOf (tenant: number): Bundle {
  const random = new Random(tenant + 1)
  const mods: Record<string, unknown> = {}
  for (let m = 0; m < modules; m++) {
    mods[`module_${m}`] = {
      relations: ['assignee', 'creator'],
      assigned: ['assignee'],
      actions: Object.fromEntries(Object.entries(ACTIONS).map(([a, level]) => [a, a === 'delete' ? { level, flags: ['delete_entities'] } : { level }])),
      ...(m % 4 === 0 ? { fields: { name: {}, notes: {}, price: { flags: ['see_prices'] }, cost: { flags: ['see_prices'] } } } : {})
    }
  }
  const rls: Record<string, unknown> = { admin: { protected: true, all: true } }
  for (let r = 1; r < roles; r++) {
    const grants: Record<string, unknown> = {}
    for (let m = 0; m < modules; m++) {
      if (random.int(3) === 0) continue
      grants[`module_${m}`] = { access: random.pick(['assigned', 'all', ['creator']]), level: random.pick(LEVELS), ...(random.int(4) === 0 ? { deny: ['export'] } : {}) }
    }
    rls[`role_${r}`] = { ...(r % 3 === 0 ? { flags: ['see_prices'] } : {}), modules: grants }
  }
  return { version: 1, flags: { see_prices: 'See prices', delete_entities: 'Delete' }, modules: mods, roles: rls } as unknown as Bundle
}

function subjectsOf (tenant: number, count: number): Subject[] {
  const random = new Random(1_000_000 + tenant)
  return Array.from({ length: count }, (_, i): Subject => ({
    id: `user-${tenant}-${i}`,
    roles: [`role_${1 + random.int(roles - 1)}`],
    aliases: [`user${i}@tenant${tenant}.example`],
    ...(random.int(5) === 0 ? { projects: { [`p${random.int(20)}`]: [`role_${1 + random.int(roles - 1)}`] } } : {}),
    ...(random.int(3) === 0 ? { groups: [`crew-${random.int(10)}`] } : {}),
    ...(random.int(10) === 0 ? { overrides: { flags: { see_prices: true }, modules: { module_1: { access: 'all', level: 'full' } } } } : {})
  }))
}

const perTenant = Math.ceil(subjects / tenants)
const source = {
  getTenant: async (id: string) => ({ id, name: id, revision: 1, createdAt: new Date(0) }),
  getPolicy: async (id: string) => ({ bundle: bundleOf(Number(id.slice(1))), revision: 1 }),
  listSubjects: async (id: string) => subjectsOf(Number(id.slice(1)), perTenant)
} as unknown as Store

function memory (): { rss: number, heapUsed: number, external: number } {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers }
}

const before = memory()
const states = new TenantStates({ store: source, maxTenants: tenants })
const decisions = new DecisionService({ states, resources: new ResourceCache({ store: source, size: 1 }) })
let allowed = 0
let decided = 0
for (let t = 0; t < tenants; t++) {
  const tenantId = `t${t}`
  await states.get(tenantId)
  for (let i = 0; i < perTenant; i++) {
    const answer = await decisions.evaluate(tenantId, {
      subject: { type: 'user', id: `user-${t}-${i}` },
      action: { name: 'view' },
      resource: { type: 'module_0', id: 'r1', properties: { assignee: [`user-${t}-${i}`] } }
    })
    decided++
    if (answer.decision) allowed++
  }
}
const after = memory()
// `states` must stay reachable until measured.
process.stdout.write(`${JSON.stringify({ tenants: states.loaded().length, subjects: decided, allowed, before, after })}\n`)
