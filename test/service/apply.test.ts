/**
 * One road for state changes (issue 13): every kind of write the store makes returns an
 * audit entry that `src/service/apply.ts` handles, and this process's writes
 * (`TenantStates.apply`) and another replica's (`refresh`, catching up from the audit
 * log) go through the very same `applyToCaches` / `applyToState`, ending in the same
 * state as a fresh load. The module is spied on through an import mock, so that a road
 * that updates a cache by hand instead shows as a missing call.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { compileBundle } from '../../src/engine/index.js'
import type { Bundle, Subject } from '../../src/engine/model.js'
import * as realApply from '../../src/service/apply.js'
import { KeyRing, mintKey } from '../../src/service/keys.js'
import { ResourceCache } from '../../src/service/resource-cache.js'
import { SearchFactsCache } from '../../src/service/search-facts-cache.js'
import type { TenantState } from '../../src/service/tenant-state.js'
import { ENTITY_TYPES } from '../../src/store/store.js'
import type { AuditEntry, AuditedEntity, Store, Written } from '../../src/store/store.js'
import { eachBackend } from '../helpers/build-app.js'
import { exampleBundle } from '../http/fixtures.js'

type Road = 'local' | 'remote'
interface Call { road: Road, fn: 'caches' | 'state', type: AuditedEntity['type'], revision: number }

const calls: Call[] = []
let road: Road = 'local'
const { TenantStates, emptyTenantState } = await t.mockImport<typeof import('../../src/service/tenant-state.js')>('../../src/service/tenant-state.js', {
  '../../src/service/apply.js': {
    ...realApply,
    applyToCaches: (...args: Parameters<typeof realApply.applyToCaches>) => {
      calls.push({ road, fn: 'caches', type: args[2].entity.type, revision: args[2].revision })
      realApply.applyToCaches(...args)
    },
    applyToState: (...args: Parameters<typeof realApply.applyToState>) => {
      calls.push({ road, fn: 'state', type: args[1].entity.type, revision: args[1].revision })
      return realApply.applyToState(...args)
    }
  }
})

const fresh = (): string => `a-${randomBytes(5).toString('hex')}`
const compiled = compileBundle(exampleBundle)
if (!compiled.ok) throw new Error('the example bundle compiles')
const policy = compiled.policy
const bundle = exampleBundle as unknown as Bundle

/** What a state holds, comparable: revision, policy revision, subjects by id and alias. */
function snapshot (state: TenantState): unknown {
  const byId = [...state.subjectsById.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
  const byAlias = [...state.subjectsByAlias.entries()].map(([alias, s]) => [alias, s.id]).sort()
  return { revision: state.revision, policyRevision: state.policyRevision, hasPolicy: state.policy !== undefined, byId, byAlias }
}

function caches (store: Store): realApply.Caches & { searchFacts: SearchFactsCache } {
  return { resources: new ResourceCache({ store }), keys: new KeyRing({ store, rootKey: 'configured-root-key-000' }), searchFacts: new SearchFactsCache(2 ** 20) }
}

await eachBackend(t, async (t, backend) => {
  const { store } = backend

  await t.test('every kind of write reaches the caches and the state through apply, locally and on a replica alike', async t => {
    calls.length = 0
    const tenant = fresh()
    const localCaches = caches(store)
    const remoteCaches = caches(store)
    const local = new TenantStates({ store, caches: localCaches })
    const remote = new TenantStates({ store, caches: remoteCaches })
    await store.putTenant(tenant, { name: 'Apply' })
    await local.get(tenant)
    await remote.get(tenant)

    const { keyId, token, secretHash } = mintKey()
    /** One write: applied here as its writer does, then caught up with by the replica; both must match a fresh load. */
    const write = async (label: string, run: () => Promise<Written>, known?: realApply.Known): Promise<void> => {
      const written = await run()
      road = 'local'
      local.apply(tenant, written.entry, known)
      road = 'remote'
      await remote.refresh(tenant)
      const loaded = await new TenantStates({ store }).get(tenant)
      // The writer's own state may lag (a policy without `known` refreshes in the background).
      t.same(snapshot(await local.get(tenant)), snapshot(loaded), `${label}: the writer's state is a fresh load's`)
      t.same(snapshot(await remote.get(tenant)), snapshot(loaded), `${label}: the replica's state is a fresh load's`)
    }

    await write('tenant', async () => await store.putTenant(tenant, { name: 'Renamed' }))
    await write('policy', async () => await store.putPolicy(tenant, bundle), { policy })
    for (const type of ['role', 'module', 'flag'] as const) {
      await write(type, async () => await store.putPolicy(tenant, bundle, { audited: { entity: { type, name: 'x' }, action: 'put', before: null, after: {} } }), { policy })
    }
    await write('subject', async () => await store.putSubject(tenant, { id: 'ann', roles: ['employee'], owner: true, aliases: ['ann@x'] }))
    await write('subject', async () => await store.putSubject(tenant, { id: 'bob', roles: ['manager'] }))
    await write('ownership', async () => await store.transferOwnership(tenant, 'ann', 'bob'))
    t.equal((await remote.get(tenant)).subjectsById.get('bob')?.owner, true, 'the replica moved ownership in place')
    t.equal((await remote.get(tenant)).subjectsById.get('ann')?.owner, undefined)
    await write('group', async () => await store.putGroup(tenant, { id: 'crew', description: 'Crew' }))

    // Resources and keys cached on both sides before their writes: both must forget them.
    for (const c of [localCaches, remoteCaches]) {
      await c.resources.get(tenant, 'jobs', 'j1')
      await c.searchFacts.read(tenant, 'jobs', 0, async () => ({ hasAcls: false, aclConditions: [] }))
    }
    await write('resource', async () => await store.putResource(tenant, { module: 'jobs', id: 'j1', relations: { assignee: ['ann'] } }))
    for (const [side, c] of [['writer', localCaches], ['replica', remoteCaches]] as const) {
      t.same(await c.resources.get(tenant, 'jobs', 'j1'), { module: 'jobs', id: 'j1', relations: { assignee: ['ann'] } }, `the ${side} reads the resource as written`)
      let reread = false
      await c.searchFacts.read(tenant, 'jobs', 0, async () => { reread = true; return { hasAcls: false, aclConditions: [] } })
      t.ok(reread, `the ${side} forgot the module's search facts`)
    }
    await write('key', async () => await store.createKey({ id: keyId, tenantId: tenant, secretHash, scopes: ['check'] }))
    for (const c of [localCaches, remoteCaches]) t.match(await c.keys.authenticate(token), { kind: 'tenant', tenantId: tenant })
    await write('key', async () => await store.revokeKey(tenant, keyId))
    for (const [side, c] of [['writer', localCaches], ['replica', remoteCaches]] as const) {
      t.equal(await c.keys.authenticate(token), undefined, `the ${side} no longer accepts the revoked key`)
    }
    await write('resource', async () => await store.deleteResource(tenant, 'jobs', 'j1'))
    for (const c of [localCaches, remoteCaches]) t.equal(await c.resources.get(tenant, 'jobs', 'j1'), undefined)
    await write('subject', async () => await store.deleteSubject(tenant, 'ann'))

    for (const type of ENTITY_TYPES) {
      for (const r of ['local', 'remote'] as const) {
        t.ok(calls.some(c => c.road === r && c.fn === 'caches' && c.type === type), `${r}: a ${type} write reaches the caches through applyToCaches`)
      }
      t.ok(calls.some(c => c.road === 'local' && c.fn === 'state' && c.type === type), `local: a ${type} write reaches the state through applyToState`)
      // Another replica's policy change reloads the state (its compiled policy is not in the log).
      const inPlace = !['policy', 'role', 'module', 'flag'].includes(type)
      if (inPlace) t.ok(calls.some(c => c.road === 'remote' && c.fn === 'state' && c.type === type), `remote: a ${type} write is caught up with in place through applyToState`)
    }
  })
})

t.test('apply handles every entity type, and an unknown one as a change of anything', async t => {
  const store = {} as unknown as Store
  const entities: Record<(typeof ENTITY_TYPES)[number], AuditedEntity> = {
    tenant: { type: 'tenant', id: 't' },
    policy: { type: 'policy' },
    role: { type: 'role', name: 'r' },
    module: { type: 'module', name: 'm' },
    flag: { type: 'flag', name: 'f' },
    subject: { type: 'subject', id: 's' },
    ownership: { type: 'ownership', from: 's', to: 'u' },
    group: { type: 'group', id: 'g' },
    resource: { type: 'resource', module: 'jobs', id: 'j' },
    key: { type: 'key', id: 'k' }
  }
  const entry = (revision: number, entity: AuditedEntity, after: unknown = null): AuditEntry =>
    ({ revision, entity, entityType: entity.type, entityId: '', action: 'put', before: null, after, at: new Date(), keyId: null, actor: null })
  for (const type of ENTITY_TYPES) {
    const state = emptyState()
    state.subjectsById.set('s', { id: 's', roles: [], owner: true })
    state.subjectsById.set('u', { id: 'u', roles: [] })
    t.doesNotThrow(() => { realApply.applyToCaches(caches(store), 't', entry(1, entities[type])) }, `${type}: the caches apply it`)
    const known = ['policy', 'role', 'module', 'flag'].includes(type) ? { policy } : undefined
    t.ok(realApply.applyToState(state, entry(1, entities[type], type === 'subject' ? { id: 's', roles: ['x'] } : null), known), `${type}: the state applies it in place`)
  }
  const state = emptyState()
  const c = caches(store)
  let invalidated = 0
  c.resources.invalidateTenant = () => { invalidated++ }
  realApply.applyToCaches(c, 't', entry(1, { type: 'other', entityType: 'future', entityId: 'x' }))
  t.equal(invalidated, 1, 'an unknown kind of write forgets every resource of the tenant')
  t.notOk(realApply.applyToState(state, entry(1, { type: 'other', entityType: 'future', entityId: 'x' })), 'and reloads the state')
  t.notOk(realApply.applyToState(state, entry(1, { type: 'policy' })), 'a policy change without its compiled policy reloads the state')
})

t.test('an ownership transfer goes through the per-subject revision guard: a newer write of either subject stays', async t => {
  const state = emptyState()
  const ann: Subject = { id: 'ann', roles: ['employee'], owner: true }
  const bob: Subject = { id: 'bob', roles: ['employee'] }
  realApply.applyToState(state, entryOf(1, { type: 'subject', id: 'ann' }, ann))
  realApply.applyToState(state, entryOf(2, { type: 'subject', id: 'bob' }, bob))
  state.revision = 2
  // This process's own write of bob at 4 landed before its transfer at 3 was applied.
  const newer: Subject = { id: 'bob', roles: ['manager'], owner: true }
  realApply.applyToState(state, entryOf(4, { type: 'subject', id: 'bob' }, newer))
  t.ok(realApply.applyToState(state, entryOf(3, { type: 'ownership', from: 'ann', to: 'bob' })))
  t.same(state.subjectsById.get('bob'), newer, 'bob keeps the newer write (the transfer does not bring back its older roles)')
  t.same(state.subjectsById.get('ann'), { id: 'ann', roles: ['employee'] }, 'ann is no longer the owner')
  t.equal(state.subjectRevisions.get('bob'), 4)
  t.equal(state.subjectRevisions.get('ann'), 3)

  const behind = emptyState()
  realApply.applyToState(behind, entryOf(1, { type: 'subject', id: 'ann' }, ann))
  realApply.applyToState(behind, entryOf(2, { type: 'subject', id: 'bob' }, bob))
  behind.revision = 1
  t.notOk(realApply.applyToState(behind, entryOf(5, { type: 'ownership', from: 'ann', to: 'bob' })), 'a transfer ahead of writes not applied yet waits for a refresh')
  t.equal(behind.subjectsById.get('ann')?.owner, true, 'and changes nothing meanwhile')
})

function entryOf (revision: number, entity: AuditedEntity, after: unknown = null): AuditEntry {
  return { revision, entity, entityType: entity.type, entityId: '', action: 'put', before: null, after, at: new Date(), keyId: null, actor: null }
}

function emptyState (): TenantState {
  return emptyTenantState('t', 0)
}
