/**
 * The behaviours of `Store`, written once and run on every backend (pglite.test.ts,
 * postgres.test.ts). Every case mints its own tenant ids, so cases share one database
 * without truncation, and every case is also a tenant-isolation case.
 *
 * Rule for contributors: any change to the `Store` interface ships with a case here.
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import type { Bundle, ResourceFacts, Subject } from '../../src/engine/model.js'
import type { QueryPlan, SearchFacts } from '../../src/engine/plan.js'
import { MAX_ANCESTOR_DEPTH } from '../../src/engine/plan.js'
import { ConflictError, NotFoundError, RevisionMismatchError, StoreError, StoreUnavailableError } from '../../src/store/errors.js'
import type { Store, Written } from '../../src/store/store.js'
import { ENTITY_TYPES, MAX_PAGE_LIMIT } from '../../src/store/store.js'
import type { BackendHarness } from '../helpers/db.js'
import { searchFactsOf, sortedFacts } from '../search/oracle.js'

function freshId (prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

async function newTenant (store: Store): Promise<string> {
  const id = freshId('tenant')
  await store.putTenant(id, { name: `Tenant ${id}` })
  return id
}

async function revisionOf (store: Store, tenantId: string): Promise<number | undefined> {
  return (await store.getTenant(tenantId))?.revision
}

function shuffled<T> (items: readonly T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const a = out[i] as T
    out[i] = out[j] as T
    out[j] = a
  }
  return out
}

const byId = (a: { id: string }, b: { id: string }): number => a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/** Everything a tenant holds, read through the Store, in a comparable form. */
async function snapshot (store: Store, tenantId: string, resourceIds: Array<[string, string]> = []): Promise<unknown> {
  const tenant = await store.getTenant(tenantId)
  return {
    tenant,
    policy: tenant === undefined ? undefined : await store.getPolicy(tenantId),
    subjects: (await store.listSubjects(tenantId)).sort(byId),
    groups: (await store.listGroups(tenantId)).sort(byId),
    keys: (await store.listKeys(tenantId)).sort(byId),
    resources: await Promise.all(resourceIds.map(([m, id]) => store.getResource(tenantId, m, id)))
  }
}

const BUNDLE: Bundle = {
  version: 1,
  flags: { manage_prices: 'See prices and send documents to clients', delete_entities: 'Delete entities the user can access' },
  modules: {
    jobs: {
      relations: ['assignee', 'responsible', 'creator'],
      assigned: ['assignee', 'responsible'],
      actions: {
        view: { level: 'limited' },
        note: { level: 'limited' },
        edit: { level: 'management' },
        create: { level: 'full' },
        delete: { level: 'full', flags: ['delete_entities'] }
      },
      fields: { client_name: {}, price: { flags: ['manage_prices'] } }
    },
    invoices: { description: 'Invoices – factures, « TTC » €', actions: { view: { level: 'limited', description: '' } } }
  },
  roles: {
    employee: { modules: { jobs: { access: 'assigned', level: 'limited', allow: ['punch'], fields: { price: 'hidden' } } } },
    manager: { flags: ['manage_prices'], modules: { jobs: { access: 'all', level: 'full', deny: ['delete'], scope: { close: ['creator'] } } } },
    admin: { protected: true, all: true },
    clerk: { modules: { invoices: { admin: true } } }
  }
}

const FULL_SUBJECT: Subject = {
  id: 'u-marie',
  roles: ['employee', 'manager'],
  aliases: ['marie@example.com', 'idp|8f3a'],
  projects: { 'site-12': ['operative'], 'site-13': [] },
  groups: ['crew-a', 'crew-b'],
  status: 'inactive',
  login: false,
  owner: false,
  overrides: {
    flags: { manage_prices: true, delete_entities: false },
    modules: { jobs: { access: ['creator'], level: 'management', allow: ['create'], deny: ['delete'] } }
  }
}

/**
 * Runs the conformance suite on one backend, as a subtest named after it. The backend
 * is opened once for the whole suite (fresh tenants per case keep cases apart).
 */
export async function storeConformance (t: Test, harness: BackendHarness): Promise<void> {
  await t.test(`store conformance on ${harness.name}`, { skip: harness.skip }, async t => {
    const backend = await harness.open()
    t.teardown(() => backend.close())
    const store = backend.store
    const concurrent = harness.capabilities.concurrentWriters
      ? false
      : `${harness.name} has one connection: writers cannot run concurrently`

    t.test('ping answers', async t => {
      await t.resolves(store.ping())
    })

    t.test('tenants', async t => {
      t.test('putTenant creates a tenant at revision 1, and a rename bumps the revision', async t => {
        const id = freshId('tenant')
        t.match(await store.putTenant(id, { name: 'Acme' }), { revision: 1, created: true })
        const created = await store.getTenant(id)
        t.match(created, { id, name: 'Acme', revision: 1 })
        t.type(created?.createdAt, Date)
        t.match(await store.putTenant(id, { name: 'Acme Ltd' }), { revision: 2, created: false })
        t.match(await store.getTenant(id), { id, name: 'Acme Ltd', revision: 2, createdAt: created?.createdAt })
      })

      t.test('an unknown tenant reads as undefined', async t => {
        t.equal(await store.getTenant(freshId('nobody')), undefined)
      })

      t.test('putTenant with ifRevision 0 creates the tenant only when it is absent', async t => {
        const id = freshId('tenant')
        t.match(await store.putTenant(id, { name: 'First' }, { ifRevision: 0 }), { revision: 1, created: true })
        const err = await store.putTenant(id, { name: 'Second' }, { ifRevision: 0 }).catch((e: unknown) => e)
        t.type(err, RevisionMismatchError)
        t.match(err, { kind: 'revision_mismatch', expected: 0, actual: 1 })
        t.match(await store.getTenant(id), { name: 'First', revision: 1 })
      })

      t.test('putTenant with a stale ifRevision renames nothing', async t => {
        const id = await newTenant(store)
        await store.putTenant(id, { name: 'Renamed' })
        await t.rejects(store.putTenant(id, { name: 'Stale' }, { ifRevision: 1 }), { code: 'revision_mismatch', expected: 1, actual: 2 })
        t.match(await store.getTenant(id), { name: 'Renamed', revision: 2 })
        t.match(await store.putTenant(id, { name: 'Fresh' }, { ifRevision: 2 }), { revision: 3, created: false })
      })

      t.test('putTenant with ifRevision on an unknown tenant fails at revision 0 and creates nothing', async t => {
        const id = freshId('tenant')
        await t.rejects(store.putTenant(id, { name: 'X' }, { ifRevision: 3 }), new RevisionMismatchError(id, 3, 0))
        t.equal(await store.getTenant(id), undefined)
      })

      t.test('tenant ids are compared exactly (case-sensitive, no trimming)', async t => {
        const id = freshId('Tenant')
        await store.putTenant(id, { name: 'Upper' })
        t.match(await store.putTenant(id.toLowerCase(), { name: 'Lower' }), { revision: 1, created: true })
        t.equal(await store.getTenant(` ${id}`), undefined)
        t.match(await store.getTenant(id), { name: 'Upper' })
      })
    })

    t.test('revisions', async t => {
      t.test('editTenant: reads and writes under the tenant lock, no lost update; what the edit throws rolls back and is rethrown as is', async t => {
        const tenant = await newTenant(store)
        t.equal(await store.editTenant(tenant, async (tx, revision) => {
          t.equal(revision, 1, 'the edit gets the tenant revision')
          return (await tx.putSubject(tenant, { id: 'a', roles: [] })).revision
        }), 2)
        const refused = new Error('no')
        const thrown = await store.editTenant(tenant, async tx => {
          await tx.putSubject(tenant, { id: 'b', roles: [] })
          throw refused
        }).catch((err: unknown) => err)
        t.equal(thrown, refused, 'the edit\'s own error, not a store error')
        t.equal(await store.getSubject(tenant, 'b'), undefined, 'its write rolled back')
        t.equal((await store.getTenant(tenant))?.revision, 2, 'and so did the revision')
        await t.rejects(store.editTenant(freshId('nobody'), async () => 1), NotFoundError)
        const n = 12
        await store.putSubject(tenant, { id: 'c', roles: [] })
        await Promise.all(Array.from({ length: n }, async (_, i) => await store.editTenant(tenant, async tx => {
          const c = await tx.getSubject(tenant, 'c')
          await tx.putSubject(tenant, { id: 'c', roles: [...(c?.roles ?? []), `r${i}`] })
        })))
        t.equal((await store.getSubject(tenant, 'c'))?.roles.length, n, 'concurrent read-modify-writes queue: none is lost')
        t.equal((await store.getTenant(tenant))?.revision, 3 + n)
      })

      t.test('every write bumps the tenant revision by one and returns it', async t => {
        const tenant = await newTenant(store)
        const keyId = freshId('key')
        const writes: Array<[string, () => Promise<{ revision: number }>]> = [
          ['putPolicy', () => store.putPolicy(tenant, BUNDLE)],
          ['putSubject (create)', () => store.putSubject(tenant, { id: 'u1', roles: [] })],
          ['putSubject (replace)', () => store.putSubject(tenant, { id: 'u1', roles: ['employee'] })],
          ['putGroup', () => store.putGroup(tenant, { id: 'g1', description: '' })],
          ['putResource', () => store.putResource(tenant, { module: 'jobs', id: 'j1', relations: {} })],
          ['createKey', () => store.createKey({ id: keyId, tenantId: tenant, secretHash: 'h', scopes: ['check'] })],
          ['revokeKey', () => store.revokeKey(tenant, keyId)],
          ['deleteResource', () => store.deleteResource(tenant, 'jobs', 'j1')],
          ['deleteGroup', () => store.deleteGroup(tenant, 'g1')],
          ['deleteSubject', () => store.deleteSubject(tenant, 'u1')],
          ['putTenant (rename)', () => store.putTenant(tenant, { name: 'Renamed' })]
        ]
        let expected = 1
        for (const [name, write] of writes) {
          expected++
          t.equal((await write()).revision, expected, `${name} returns revision ${expected}`)
          t.equal(await revisionOf(store, tenant), expected, `${name} leaves the tenant at revision ${expected}`)
        }
      })

      t.test('a write with the current ifRevision succeeds', async t => {
        const tenant = await newTenant(store)
        t.match(await store.putSubject(tenant, { id: 'u1', roles: [] }, { ifRevision: 1 }), { revision: 2, created: true })
        t.match(await store.putPolicy(tenant, BUNDLE, { ifRevision: 2 }), { revision: 3 })
      })

      t.test('a write with a stale ifRevision throws RevisionMismatchError with the current revision and writes nothing', async t => {
        const tenant = await newTenant(store)
        const keyId = freshId('key')
        await store.putPolicy(tenant, BUNDLE)
        await store.putSubject(tenant, FULL_SUBJECT)
        await store.putGroup(tenant, { id: 'g1', description: 'crew' })
        await store.putResource(tenant, { module: 'jobs', id: 'j1', relations: { assignee: ['u1'] } })
        await store.createKey({ id: keyId, tenantId: tenant, secretHash: 'h', scopes: ['admin'] })
        const current = await revisionOf(store, tenant) ?? -1
        const stale = { ifRevision: current - 1 }
        const before = await snapshot(store, tenant, [['jobs', 'j1']])
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['putTenant', () => store.putTenant(tenant, { name: 'Other' }, stale)],
          ['putPolicy', () => store.putPolicy(tenant, { version: 1, modules: {}, roles: {} }, stale)],
          ['putSubject', () => store.putSubject(tenant, { id: FULL_SUBJECT.id, roles: [] }, stale)],
          ['putSubject (new)', () => store.putSubject(tenant, { id: 'u-new', roles: [] }, stale)],
          ['deleteSubject', () => store.deleteSubject(tenant, FULL_SUBJECT.id, stale)],
          ['putGroup', () => store.putGroup(tenant, { id: 'g1', description: 'changed' }, stale)],
          ['deleteGroup', () => store.deleteGroup(tenant, 'g1', stale)],
          ['putResource', () => store.putResource(tenant, { module: 'jobs', id: 'j1', relations: {} }, stale)],
          ['deleteResource', () => store.deleteResource(tenant, 'jobs', 'j1', stale)],
          ['revokeKey', () => store.revokeKey(tenant, keyId, stale)]
        ]
        for (const [name, write] of writes) {
          const err = await write().catch((e: unknown) => e)
          t.type(err, RevisionMismatchError, `${name} is refused`)
          t.match(err, { kind: 'revision_mismatch', code: 'revision_mismatch', tenantId: tenant, expected: current - 1, actual: current }, `${name} names the current revision`)
        }
        t.same(await snapshot(store, tenant, [['jobs', 'j1']]), before, 'nothing changed')
      })
    })

    t.test('unknown tenants and things', async t => {
      t.test('every write to an unknown tenant throws NotFoundError and creates nothing', async t => {
        const tenant = freshId('nobody')
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['putPolicy', () => store.putPolicy(tenant, BUNDLE)],
          ['putSubject', () => store.putSubject(tenant, FULL_SUBJECT)],
          ['deleteSubject', () => store.deleteSubject(tenant, 'u1')],
          ['putGroup', () => store.putGroup(tenant, { id: 'g1', description: '' })],
          ['deleteGroup', () => store.deleteGroup(tenant, 'g1')],
          ['putResource', () => store.putResource(tenant, { module: 'jobs', id: 'j1', relations: {} })],
          ['deleteResource', () => store.deleteResource(tenant, 'jobs', 'j1')],
          ['createKey', () => store.createKey({ id: freshId('key'), tenantId: tenant, secretHash: 'h', scopes: ['check'] })],
          ['revokeKey', () => store.revokeKey(tenant, 'k1')]
        ]
        for (const [name, write] of writes) {
          const err = await write().catch((e: unknown) => e)
          t.type(err, NotFoundError, `${name} is refused`)
          t.match(err, { kind: 'not_found', code: 'tenant_not_found', entity: 'tenant', id: tenant }, `${name} names the tenant`)
        }
        t.equal(await store.getTenant(tenant), undefined)
        t.same(await store.listSubjects(tenant), [])
        t.same(await store.listGroups(tenant), [])
        t.same(await store.listKeys(tenant), [])
      })

      t.test('getPolicy of an unknown tenant throws NotFoundError', async t => {
        const tenant = freshId('nobody')
        await t.rejects(store.getPolicy(tenant), new NotFoundError('tenant', tenant))
      })

      t.test('deleting what does not exist throws NotFoundError and leaves the revision unchanged', async t => {
        const tenant = await newTenant(store)
        const cases: Array<[string, () => Promise<unknown>, object]> = [
          ['deleteSubject', () => store.deleteSubject(tenant, 'ghost'), { entity: 'subject', id: 'ghost', code: 'subject_not_found' }],
          ['deleteGroup', () => store.deleteGroup(tenant, 'ghost'), { entity: 'group', id: 'ghost', code: 'group_not_found' }],
          ['deleteResource', () => store.deleteResource(tenant, 'jobs', 'ghost'), { entity: 'resource', code: 'resource_not_found' }],
          ['revokeKey', () => store.revokeKey(tenant, 'ghost'), { entity: 'key', id: 'ghost', code: 'key_not_found' }]
        ]
        for (const [name, write, want] of cases) {
          const err = await write().catch((e: unknown) => e)
          t.type(err, NotFoundError, `${name} is refused`)
          t.match(err, want, `${name} names what is missing`)
        }
        t.equal(await revisionOf(store, tenant), 1)
      })

      t.test('reading what does not exist gives undefined', async t => {
        const tenant = await newTenant(store)
        t.equal(await store.getPolicy(tenant), undefined, 'no policy yet')
        t.equal(await store.getSubject(tenant, 'ghost'), undefined)
        t.equal(await store.getGroup(tenant, 'ghost'), undefined)
        t.equal(await store.getResource(tenant, 'jobs', 'ghost'), undefined)
        t.equal(await store.getKey(freshId('key')), undefined)
        t.same(await store.listSubjects(tenant), [])
        t.same(await store.listGroups(tenant), [])
        t.same(await store.listKeys(tenant), [])
      })
    })

    t.test('policies', async t => {
      t.test('a bundle round-trips exactly, key order included', async t => {
        const tenant = await newTenant(store)
        const { revision } = await store.putPolicy(tenant, BUNDLE)
        const stored = await store.getPolicy(tenant)
        t.same(stored, { bundle: BUNDLE, revision })
        // The order an ops team wrote is the order it exports (json, not jsonb).
        t.same(Object.keys(stored?.bundle.modules ?? {}), Object.keys(BUNDLE.modules))
        t.same(Object.keys(stored?.bundle.modules['jobs']?.actions ?? {}), ['view', 'note', 'edit', 'create', 'delete'])
        t.same(Object.keys(stored?.bundle.roles ?? {}), ['employee', 'manager', 'admin', 'clerk'])
      })

      t.test('putPolicy replaces the whole bundle and records the revision it was written at', async t => {
        const tenant = await newTenant(store)
        await store.putPolicy(tenant, BUNDLE)
        await store.putSubject(tenant, { id: 'u1', roles: [] })
        const smaller: Bundle = { version: 1, modules: { tickets: { actions: { view: { level: 'limited' } } } }, roles: {} }
        const { revision } = await store.putPolicy(tenant, smaller)
        t.equal(revision, 4)
        t.same(await store.getPolicy(tenant), { bundle: smaller, revision: 4 })
        await store.putSubject(tenant, { id: 'u2', roles: [] })
        t.equal((await store.getPolicy(tenant))?.revision, 4, 'later writes do not change the policy revision')
      })
    })

    t.test('subjects', async t => {
      t.test('a subject round-trips exactly, whichever optional fields it has', async t => {
        const tenant = await newTenant(store)
        const subjects: Subject[] = [
          FULL_SUBJECT,
          { id: 'u-minimal', roles: [] },
          { id: 'u-empty', roles: [], aliases: [], projects: {}, groups: [], overrides: {} },
          { id: 'u-owner', roles: ['admin'], status: 'active', login: true, owner: true },
          { id: 'u-unicode', roles: ['opérateur'], aliases: ['zoë@exemple.fr'], projects: { 'chantier-été': ['compagnon'] } },
          { id: 'u-attributes', roles: [], attributes: { approval_limit: 2500.5, department: 'north', senior: false, since: '2024-03-01T08:00:00+01:00', skills: ['gas', 'water'] } },
          { id: 'u-no-attributes', roles: [], attributes: {} }
        ]
        for (const s of shuffled(subjects)) {
          t.match(await store.putSubject(tenant, s), { created: true })
        }
        for (const s of subjects) {
          t.same(await store.getSubject(tenant, s.id), s, `${s.id} reads back as written`)
        }
        t.same((await store.listSubjects(tenant)).sort(byId), [...subjects].sort(byId))
      })

      t.test('putSubject replaces the whole subject and frees the aliases it drops', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, FULL_SUBJECT)
        const replaced: Subject = { id: FULL_SUBJECT.id, roles: ['employee'], aliases: ['idp|8f3a'] }
        t.match(await store.putSubject(tenant, replaced), { created: false })
        t.same(await store.getSubject(tenant, FULL_SUBJECT.id), replaced)
        t.match(await store.putSubject(tenant, { id: 'u-other', roles: [], aliases: ['marie@example.com'] }), { created: true }, 'the dropped alias is free')
      })

      t.test('a subject may keep, reorder and repeat its own aliases', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, { id: 'u1', roles: [], aliases: ['a', 'b'] })
        const again: Subject = { id: 'u1', roles: [], aliases: ['b', 'a', 'b', 'u1'] }
        t.match(await store.putSubject(tenant, again), { created: false })
        t.same(await store.getSubject(tenant, 'u1'), again, 'aliases read back as given')
      })

      t.test('an alias that is another subject\'s alias is a conflict, and nothing is written', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, { id: 'u1', roles: [], aliases: ['marie@example.com'] })
        await store.putSubject(tenant, { id: 'u2', roles: ['employee'] })
        const before = await snapshot(store, tenant)
        for (const s of [
          { id: 'u3', roles: [], aliases: ['new@example.com', 'marie@example.com'] },
          { id: 'u2', roles: ['manager'], aliases: ['marie@example.com'] }
        ]) {
          const err = await store.putSubject(tenant, s).catch((e: unknown) => e)
          t.type(err, ConflictError)
          t.match(err, { kind: 'conflict', code: 'alias_conflict', message: /`marie@example\.com`.*`u1`/ })
        }
        t.same(await snapshot(store, tenant), before, 'revision and rows unchanged')
        t.match(await store.putSubject(tenant, { id: 'u4', roles: [], aliases: ['new@example.com'] }), { created: true }, 'the other alias was not kept')
      })

      t.test('an alias that is another subject\'s id is a conflict', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, { id: 'u1', roles: [] })
        const before = await snapshot(store, tenant)
        await t.rejects(store.putSubject(tenant, { id: 'u2', roles: [], aliases: ['u1'] }), { kind: 'conflict', code: 'alias_conflict' })
        t.same(await snapshot(store, tenant), before)
      })

      t.test('a subject id that is another subject\'s alias is a conflict', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, { id: 'u1', roles: [], aliases: ['marie'] })
        const before = await snapshot(store, tenant)
        await t.rejects(store.putSubject(tenant, { id: 'marie', roles: [] }), { kind: 'conflict', code: 'alias_conflict', message: /`marie`.*`u1`/ })
        t.same(await snapshot(store, tenant), before)
      })

      t.test('deleting a subject frees its id and aliases', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, { id: 'u1', roles: [], aliases: ['marie'] })
        await store.deleteSubject(tenant, 'u1')
        t.equal(await store.getSubject(tenant, 'u1'), undefined)
        t.match(await store.putSubject(tenant, { id: 'marie', roles: [], aliases: ['u1'] }), { created: true })
      })

      t.test('ids and aliases are compared exactly (case-sensitive)', async t => {
        const tenant = await newTenant(store)
        await store.putSubject(tenant, { id: 'Alice', roles: ['a'], aliases: ['Marie@Example.com'] })
        t.match(await store.putSubject(tenant, { id: 'alice', roles: ['b'], aliases: ['marie@example.com'] }), { created: true })
        t.match(await store.getSubject(tenant, 'Alice'), { roles: ['a'] })
        t.match(await store.getSubject(tenant, 'alice'), { roles: ['b'] })
        t.equal(await store.getSubject(tenant, 'ALICE'), undefined)
      })
    })

    t.test('groups', async t => {
      t.test('a group is created, replaced, listed and deleted', async t => {
        const tenant = await newTenant(store)
        t.match(await store.putGroup(tenant, { id: 'crew-a', description: 'Crew A' }), { created: true })
        t.match(await store.putGroup(tenant, { id: 'crew-a', description: 'Crew A, north' }), { created: false })
        t.match(await store.putGroup(tenant, { id: 'crew-b', description: '' }), { created: true })
        t.same(await store.getGroup(tenant, 'crew-a'), { id: 'crew-a', description: 'Crew A, north' })
        t.same((await store.listGroups(tenant)).sort(byId), [{ id: 'crew-a', description: 'Crew A, north' }, { id: 'crew-b', description: '' }])
        await store.deleteGroup(tenant, 'crew-a')
        t.equal(await store.getGroup(tenant, 'crew-a'), undefined)
        t.same(await store.listGroups(tenant), [{ id: 'crew-b', description: '' }])
      })
    })

    t.test('audit log', async t => {
      t.test('every write appends one entry at its revision, with its author, before and after; a failed write none', async t => {
        const tenant = freshId('tenant')
        await store.putTenant(tenant, { name: 'Audited' }, { by: { keyId: 'root' } })
        await store.putSubject(tenant, { id: 'marie', roles: ['a'] }, { by: { keyId: 'k1', actor: 'boss' } })
        await store.putSubject(tenant, { id: 'marie', roles: ['b'] })
        await t.rejects(store.putSubject(tenant, { id: 'paul', roles: [] }, { ifRevision: 1 }), RevisionMismatchError)
        await store.createKey({ id: freshId('key').replace(/[^0-9a-f]/g, '').padEnd(24, '0').slice(0, 24), tenantId: tenant, secretHash: 'h'.repeat(64), scopes: ['check'] })
        await store.putPolicy(tenant, BUNDLE, { audited: { entity: { type: 'role', name: 'x' }, action: 'put', before: null, after: { all: true } } })
        await store.deleteSubject(tenant, 'marie')
        const { entries, hasMore } = await store.listAudit(tenant, { limit: MAX_PAGE_LIMIT })
        t.notOk(hasMore)
        t.same(entries.map(e => e.revision), [1, 2, 3, 4, 5, 6], 'one entry per revision')
        t.match(entries[0], { action: 'create', entityType: 'tenant', keyId: 'root', actor: null, before: null, after: { name: 'Audited' } })
        t.match(entries[1], { action: 'put', entityType: 'subject', entityId: 'marie', keyId: 'k1', actor: 'boss', before: null, after: { roles: ['a'] } })
        t.match(entries[2], { keyId: null, before: { roles: ['a'] }, after: { roles: ['b'] } })
        t.match(entries[3], { action: 'create', entityType: 'key', before: null })
        t.notOk(JSON.stringify(entries[3]).includes('h'.repeat(64)), 'no key hash')
        t.match(entries[4], { entityType: 'role', entityId: 'x', after: { all: true } }, 'a service may audit a part of what it writes')
        t.match(entries[5], { action: 'delete', entityType: 'subject', after: null, before: { roles: ['b'] } })
        t.ok(entries.every(e => e.at instanceof Date))
      })

      t.test('every write returns the entry it appended, its entity typed, exactly as listAudit reads it back; every entity type', async t => {
        const tenant = freshId('tenant')
        const keyId = freshId('key').replace(/[^0-9a-f]/g, '').padEnd(24, '0').slice(0, 24)
        const written: Written[] = [
          await store.putTenant(tenant, { name: 'Typed' }),
          await store.putTenant(tenant, { name: 'Renamed' }),
          await store.putPolicy(tenant, BUNDLE, { by: { keyId: 'k1', actor: 'boss' } })
        ]
        for (const type of ['role', 'module', 'flag'] as const) {
          written.push(await store.putPolicy(tenant, BUNDLE, { audited: { entity: { type, name: `${type}.x` }, action: 'put', before: null, after: { all: true } } }))
        }
        written.push(
          await store.putSubject(tenant, { id: 'a', roles: [], owner: true }),
          await store.putSubject(tenant, { id: 'b/c', roles: [] }),
          await store.transferOwnership(tenant, 'a', 'b/c'),
          await store.putGroup(tenant, { id: 'g', description: '' }),
          await store.deleteGroup(tenant, 'g'),
          // A `/` in the id: the entity is not found by splitting `module/id`.
          await store.putResource(tenant, { module: 'jobs', id: 'x/y', relations: {} }),
          await store.deleteResource(tenant, 'jobs', 'x/y'),
          await store.createKey({ id: keyId, tenantId: tenant, secretHash: 'h'.repeat(64), scopes: ['check'] }),
          await store.revokeKey(tenant, keyId),
          await store.deleteSubject(tenant, 'a')
        )
        t.same(written.map(w => w.entry.revision), written.map(w => w.revision), 'each entry is at its write\'s revision')
        const { entries } = await store.listAudit(tenant, { limit: MAX_PAGE_LIMIT })
        t.same(entries, written.map(w => w.entry), 'what the writes returned is what the log holds')
        t.same(written.map(w => w.entry.entity), [
          { type: 'tenant', id: tenant }, { type: 'tenant', id: tenant }, { type: 'policy' },
          { type: 'role', name: 'role.x' }, { type: 'module', name: 'module.x' }, { type: 'flag', name: 'flag.x' },
          { type: 'subject', id: 'a' }, { type: 'subject', id: 'b/c' }, { type: 'ownership', from: 'a', to: 'b/c' },
          { type: 'group', id: 'g' }, { type: 'group', id: 'g' },
          { type: 'resource', module: 'jobs', id: 'x/y' }, { type: 'resource', module: 'jobs', id: 'x/y' },
          { type: 'key', id: keyId }, { type: 'key', id: keyId }, { type: 'subject', id: 'a' }
        ])
        t.same([...new Set(written.map(w => w.entry.entity.type))].sort(), [...ENTITY_TYPES].sort(), 'every entity type a write produces is covered')
      })

      t.test('listAudit filters by entity and time, and pages by revision', async t => {
        const tenant = await newTenant(store)
        for (const id of ['a', 'b', 'c']) await store.putSubject(tenant, { id, roles: [] })
        const subjects = await store.listAudit(tenant, { entityType: 'subject', limit: 2 })
        t.same(subjects.entries.map(e => e.entityId), ['a', 'b'])
        t.ok(subjects.hasMore)
        const rest = await store.listAudit(tenant, { entityType: 'subject', limit: 2, afterRevision: subjects.entries[1]?.revision })
        t.same(rest.entries.map(e => e.entityId), ['c'])
        t.notOk(rest.hasMore)
        t.same((await store.listAudit(tenant, { entityId: 'b', limit: 10 })).entries.map(e => e.entityId), ['b'])
        t.same((await store.listAudit(tenant, { since: new Date(Date.now() + 60_000), limit: 10 })).entries, [])
        t.equal((await store.listAudit(tenant, { until: new Date(Date.now() + 60_000), limit: 10 })).entries.length, 4)
        t.same(await store.listAudit(freshId('nobody'), { limit: 10 }), { entries: [], hasMore: false })
      })
    })

    t.test('resources', async t => {
      t.test('a resource round-trips exactly, and an empty ACL stays distinct from no ACL', async t => {
        const tenant = await newTenant(store)
        const resources: ResourceFacts[] = [
          {
            module: 'jobs',
            id: 'j1',
            project: 'site-12',
            parent: 'folder-3',
            relations: { assignee: ['u1', 'group:crew-a'], creator: ['u2'] },
            acl: [{ who: 'group:crew-a', allow: ['view', 'edit'] }, { who: 'role:observer', deny: ['view'] }, { who: '*' }]
          },
          { module: 'jobs', id: 'j-no-acl', relations: {} },
          { module: 'jobs', id: 'j-empty-acl', relations: { assignee: [] }, acl: [] },
          { module: 'jobs', id: 'j-attributes', relations: {}, attributes: { status: 'locked', amount: 0, urgent: true, due: '2026-12-07T10:00:00Z', tags: [] } },
          { module: 'jobs', id: 'j-no-attributes', relations: {}, attributes: {} }
        ]
        for (const r of shuffled(resources)) t.match(await store.putResource(tenant, r), { created: true })
        for (const r of resources) t.same(await store.getResource(tenant, r.module, r.id), r, `${r.id} reads back as written`)
        t.notOk('acl' in (await store.getResource(tenant, 'jobs', 'j-no-acl') ?? {}), 'no acl key at all')
        const ids = ['j-no-attributes', 'ghost', ...resources.map(r => r.id).reverse(), 'j-no-acl']
        const read = await store.getResources(tenant, 'jobs', ids)
        t.same(read.map(r => r.id), ids.filter(id => resources.some(r => r.module === 'jobs' && r.id === id)), 'getResources: the stored ones, in the order asked, unknown ids left out')
        for (const r of read) t.same(r, await store.getResource(tenant, 'jobs', r.id), `getResources reads ${r.id} as getResource does`)
        t.same(await store.getResources(tenant, 'jobs', []), [], 'no ids, no query, nothing')
        t.same(await store.getResources(tenant, 'nope', ids), [], 'another module holds none of them')
      })

      t.test('putResource replaces the attributes whole', async t => {
        const tenant = await newTenant(store)
        await store.putResource(tenant, { module: 'jobs', id: 'j1', relations: {}, attributes: { status: 'sent', amount: 10 } })
        const replaced: ResourceFacts = { module: 'jobs', id: 'j1', relations: {}, attributes: { status: 'paid' } }
        await store.putResource(tenant, replaced)
        t.same(await store.getResource(tenant, 'jobs', 'j1'), replaced)
        await store.putResource(tenant, { module: 'jobs', id: 'j1', relations: {} })
        t.notOk('attributes' in (await store.getResource(tenant, 'jobs', 'j1') ?? {}), 'no attributes key once none are written')
      })

      t.test('a resource is keyed by module and id, and putResource replaces it whole', async t => {
        const tenant = await newTenant(store)
        await store.putResource(tenant, { module: 'jobs', id: 'x1', project: 'p1', relations: { creator: ['u1'] } })
        await store.putResource(tenant, { module: 'invoices', id: 'x1', relations: { creator: ['u2'] } })
        t.match(await store.getResource(tenant, 'jobs', 'x1'), { project: 'p1', relations: { creator: ['u1'] } })
        t.same(await store.getResource(tenant, 'invoices', 'x1'), { module: 'invoices', id: 'x1', relations: { creator: ['u2'] } })
        const replaced: ResourceFacts = { module: 'jobs', id: 'x1', relations: {} }
        t.match(await store.putResource(tenant, replaced), { created: false })
        t.same(await store.getResource(tenant, 'jobs', 'x1'), replaced, 'project dropped')
        await store.deleteResource(tenant, 'jobs', 'x1')
        t.equal(await store.getResource(tenant, 'jobs', 'x1'), undefined)
        t.ok(await store.getResource(tenant, 'invoices', 'x1'), 'the other module keeps its resource')
      })
    })

    t.test('resource search', async t => {
      const list = async (tenant: string, module: string, plan: QueryPlan): Promise<string[]> =>
        (await store.listResources(tenant, module, plan, { limit: MAX_PAGE_LIMIT })).ids
      const inProject = (...values: string[]): QueryPlan => ({ kind: 'conditional', filter: { op: 'project_in', values } })
      const withRelation = (relation: string, ...values: string[]): QueryPlan => ({ kind: 'conditional', filter: { op: 'relation_contains_any', relation, values } })
      const put = async (tenant: string, ...list: ResourceFacts[]): Promise<void> => {
        for (const r of shuffled(list)) await store.putResource(tenant, r)
      }
      const job = (id: string, extra: Partial<ResourceFacts> = {}): ResourceFacts => ({ module: 'jobs', id, relations: {}, ...extra })
      /** The facts the store must report for these resources (test/search/oracle.ts walks ancestors as the service does). */
      const expectedFacts = (resources: ResourceFacts[]): SearchFacts => sortedFacts(searchFactsOf(resources))

      t.test('listResources pages ids in ascending order: keyset paging with after and limit', async t => {
        const tenant = await newTenant(store)
        const ids = ['a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'd1']
        await put(tenant, ...ids.map(id => job(id)))
        const always: QueryPlan = { kind: 'always' }
        t.same(await store.listResources(tenant, 'jobs', always, { limit: 3 }), { ids: ['a1', 'a2', 'b1'], hasMore: true })
        t.same(await store.listResources(tenant, 'jobs', always, { limit: 3, after: 'b1' }), { ids: ['b2', 'c1', 'c2'], hasMore: true })
        t.same(await store.listResources(tenant, 'jobs', always, { limit: 3, after: 'c2' }), { ids: ['d1'], hasMore: false })
        t.same(await store.listResources(tenant, 'jobs', always, { limit: 7 }), { ids, hasMore: false }, 'a page that ends exactly at the last id has no more')
        t.same(await store.listResources(tenant, 'jobs', always, { limit: 3, after: 'b' }), { ids: ['b1', 'b2', 'c1'], hasMore: true }, '`after` need not be a stored id')
        t.same(await store.listResources(tenant, 'jobs', always, { limit: 3, after: 'd1' }), { ids: [], hasMore: false })
        t.same(await store.listResources(tenant, 'jobs', { kind: 'never' }, { limit: 3 }), { ids: [], hasMore: false })
      })

      t.test('listResources of an unknown tenant or module is empty', async t => {
        const tenant = await newTenant(store)
        await put(tenant, job('j1'))
        t.same(await list(freshId('nobody'), 'jobs', { kind: 'always' }), [])
        t.same(await list(tenant, 'trucks', { kind: 'always' }), [])
        t.same(await store.getSearchFacts(freshId('nobody'), 'jobs'), { hasAcls: false, aclConditions: [] })
      })

      t.test('a relation test matches the resource\'s own values, any of those given, exactly (case-sensitive)', async t => {
        const tenant = await newTenant(store)
        await put(tenant,
          job('j1', { relations: { assignee: ['u1', 'group:crew-a'], creator: ['u2'] } }),
          job('j2', { relations: { assignee: ['U1'], creator: ['u1'] } }),
          job('j3', { relations: { assignee: [] } }),
          job('j4', { parent: 'j1', relations: {} }))
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'u1')), ['j1'], 'children do not inherit relation values')
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'nobody', 'group:crew-a')), ['j1'])
        t.same(await list(tenant, 'jobs', withRelation('creator', 'u1', 'u2')), ['j1', 'j2'])
        t.same(await list(tenant, 'jobs', withRelation('watcher', 'u1')), [], 'a relation no resource has')
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'or', args: [{ op: 'relation_contains_any', relation: 'assignee', values: ['u1'] }, { op: 'relation_contains_any', relation: 'creator', values: ['u1'] }] } }), ['j1', 'j2'])
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'and', args: [{ op: 'relation_contains_any', relation: 'assignee', values: ['U1'] }, { op: 'relation_contains_any', relation: 'creator', values: ['u1'] }] } }), ['j2'])
      })

      t.test('a replaced resource is searched by its new relation values, a deleted one not at all', async t => {
        const tenant = await newTenant(store)
        await put(tenant, job('j1', { relations: { assignee: ['u1'] } }), job('j2', { relations: { assignee: ['u1', 'u1'] } }))
        await store.putResource(tenant, job('j1', { relations: { assignee: ['u2'], creator: ['u1'] } }))
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'u1')), ['j2'])
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'u2')), ['j1'])
        t.same(await list(tenant, 'jobs', withRelation('creator', 'u1')), ['j1'])
        await store.deleteResource(tenant, 'jobs', 'j2')
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'u1')), [])
      })

      t.test('a resource with thousands of relation values is stored and searched whole', async t => {
        const tenant = await newTenant(store)
        const many = Array.from({ length: 5000 }, (_, i) => `u${i}`)
        const r = job('big', { relations: { assignee: many } })
        await store.putResource(tenant, r)
        t.same(await store.getResource(tenant, 'jobs', 'big'), r)
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'u4999')), ['big'])
        t.same(await list(tenant, 'jobs', withRelation('assignee', 'u0', 'u2500')), ['big'])
      })

      t.test('attribute filters read the stored attributes, by type: a missing value or one of another type matches no comparison, `ne` included', async t => {
        const tenant = await newTenant(store)
        await put(tenant,
          job('j1', { attributes: { status: 'draft', amount: 100, urgent: true, due: '2026-01-01T00:00:00Z', tags: ['gas'] } }),
          job('j2', { attributes: { status: 'locked', amount: 2500.5, urgent: false, due: '2026-01-01T01:00:00+01:00', tags: [] } }),
          job('j3'),
          // Values of another type than the filters', as after a policy change of the attribute's type.
          job('j4', { attributes: { status: 7, amount: '100', urgent: 'yes', due: 'soon', tags: 'gas' } as unknown as ResourceFacts['attributes'] }),
          { module: 'invoices', id: 'j1', relations: {}, attributes: { status: 'draft' } })
        const where = (filter: Extract<QueryPlan, { kind: 'conditional' }>['filter']): QueryPlan => ({ kind: 'conditional', filter })
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'ne', value: 'locked' })), ['j1'])
        t.same(await list(tenant, 'jobs', where({ op: 'not', arg: { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'locked' } })), ['j1', 'j3', 'j4'])
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'le', value: 100 })), ['j1'])
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_in', attribute: 'amount', type: 'number', values: [2500.5, 7] })), ['j2'])
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_compare', attribute: 'urgent', type: 'boolean', cmp: 'ne', value: true })), ['j2'])
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_compare', attribute: 'due', type: 'timestamp', cmp: 'eq', value: '2026-01-01T00:00:00.000Z' })), ['j1', 'j2'], 'timestamps are instants')
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_contains', attribute: 'tags', value: 'gas' })), ['j1'])
        t.same(await list(tenant, 'jobs', where({ op: 'attribute_exists', attribute: 'tags' })), ['j1', 'j2', 'j4'])
        t.same(await list(tenant, 'jobs', where({ op: 'and', args: [{ op: 'attribute_exists', attribute: 'status' }, { op: 'relation_contains_any', relation: 'assignee', values: ['u1'] }] })), [])
      })

      t.test('id_in, not and and/or combine; a resource without project is outside project_in and inside its negation', async t => {
        const tenant = await newTenant(store)
        await put(tenant, job('j1', { project: 'p1' }), job('j2', { project: 'p2' }), job('j3'))
        t.same(await list(tenant, 'jobs', inProject('p1', 'p2')), ['j1', 'j2'])
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'not', arg: { op: 'project_in', values: ['p1'] } } }), ['j2', 'j3'])
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'id_in', values: ['j3', 'j1', 'j9'] } }), ['j1', 'j3'])
        t.same(await list(tenant, 'jobs', {
          kind: 'conditional',
          filter: { op: 'or', args: [{ op: 'id_in', values: ['j1'] }, { op: 'and', args: [{ op: 'not', arg: { op: 'id_in', values: ['j1', 'j2'] } }, { op: 'not', arg: { op: 'project_in', values: ['p2'] } }] }] }
        }), ['j1', 'j3'])
      })

      t.test('project_in reads the effective project: the resource\'s own, else its nearest ancestor\'s', async t => {
        const tenant = await newTenant(store)
        // The child is stored before its parent: the parent, stored later, is adopted.
        await store.putResource(tenant, job('c', { parent: 'b' }))
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'not', arg: { op: 'project_in', values: ['p1', 'p2', 'p3'] } } }), ['c'])
        await store.putResource(tenant, job('b', { parent: 'a' }))
        await store.putResource(tenant, job('a', { project: 'p1' }))
        t.same(await list(tenant, 'jobs', inProject('p1')), ['a', 'b', 'c'], 'a parent stored later is followed')
        await store.putResource(tenant, job('a', { project: 'p2' }))
        t.same(await list(tenant, 'jobs', inProject('p2')), ['a', 'b', 'c'], 'an ancestor\'s new project reaches its descendants')
        await store.putResource(tenant, job('b', { parent: 'a', project: 'p3' }))
        t.same(await list(tenant, 'jobs', inProject('p3')), ['b', 'c'], 'the nearest project wins')
        t.same(await list(tenant, 'jobs', inProject('p2')), ['a'])
        await store.deleteResource(tenant, 'jobs', 'b')
        t.same(await list(tenant, 'jobs', inProject('p2', 'p3')), ['a'], 'the walk stops at a missing parent')
        await store.putResource(tenant, job('b', { parent: 'a' }))
        t.same(await list(tenant, 'jobs', inProject('p2')), ['a', 'b', 'c'])
        await store.putResource(tenant, job('b', { parent: 'x' }))
        await store.putResource(tenant, job('x', { project: 'p1' }))
        t.same(await list(tenant, 'jobs', inProject('p1')), ['b', 'c', 'x'], 'a resource moved under another parent takes its subtree along')
        await store.putResource(tenant, job('c', { parent: 'b', relations: { assignee: ['u1'] } }))
        t.same(await list(tenant, 'jobs', inProject('p1')), ['b', 'c', 'x'], 'a change of relations alone keeps the derived project')
      })

      t.test('a cycle of parents ends the walk where it closes', async t => {
        const tenant = await newTenant(store)
        await put(tenant, job('x', { parent: 'y' }), job('y', { parent: 'z' }), job('z', { parent: 'x', project: 'p1' }), job('w', { parent: 'w2' }), job('w2', { parent: 'w' }))
        t.same(await list(tenant, 'jobs', inProject('p1')), ['x', 'y', 'z'])
        await store.putResource(tenant, job('z', { parent: 'x' }))
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'project_in', values: ['p1'] } }), [], 'a cycle without project has none')
        t.same(await list(tenant, 'jobs', { kind: 'always' }), ['w', 'w2', 'x', 'y', 'z'], 'every resource of a cycle is still listed')
        const self = job('s', { parent: 's', project: 'p2', acl: [] })
        await store.putResource(tenant, self)
        t.same(await list(tenant, 'jobs', inProject('p2')), ['s'], 'a resource naming itself as parent')
      })

      t.test(`parents are followed at most ${MAX_ANCESTOR_DEPTH} links, as decisions follow them`, async t => {
        const tenant = await newTenant(store)
        const chain = Array.from({ length: MAX_ANCESTOR_DEPTH + 3 }, (_, i) => job(`n${String(i).padStart(2, '0')}`, i === 0 ? { project: 'root', acl: [{ who: '*', allow: ['view'] }] } : { parent: `n${String(i - 1).padStart(2, '0')}` }))
        await put(tenant, ...chain)
        const reached = chain.slice(0, MAX_ANCESTOR_DEPTH + 1).map(r => r.id)
        t.same(await list(tenant, 'jobs', inProject('root')), reached, `resources up to ${MAX_ANCESTOR_DEPTH} links below the root inherit its project`)
        t.same(sortedFacts(await store.getSearchFacts(tenant, 'jobs')), expectedFacts(chain), 'and its ACL')
        await store.putResource(tenant, job('n00', { project: 'moved' }))
        t.same(await list(tenant, 'jobs', inProject('moved')), reached, 'a change at the root reaches as far')
      })

      t.test('ACL leaves read the ACL governing each resource (its own or its nearest ancestor\'s) through the ACL entries table', async t => {
        const tenant = await newTenant(store)
        const crew = [{ who: 'group:crew-a', allow: ['view', 'edit'] }, { who: 'u9', deny: ['edit'] }]
        const resources: ResourceFacts[] = [
          job('f1', { project: 'p1', acl: crew }),
          job('d1', { parent: 'f1' }),
          job('d2', { parent: 'f1', project: 'p2' }),
          job('d3', { parent: 'd1' }),
          job('f2', { parent: 'f1', acl: [] }),
          job('d4', { parent: 'f2' }),
          job('free', { project: 'p1' }),
          job('orphan', { parent: 'gone' })
        ]
        await put(tenant, ...resources)
        await store.putResource(tenant, { module: 'tickets', id: 'f1', relations: {}, acl: [{ who: '*', allow: ['view'] }] })
        const allows = (action: string, who: string[], when?: string[]): QueryPlan =>
          ({ kind: 'conditional', filter: when === undefined ? { op: 'acl_allows', action, who } : { op: 'acl_allows', action, who, when } })
        const governed: QueryPlan = { kind: 'conditional', filter: { op: 'acl_governed' } }
        t.same(await store.getSearchFacts(tenant, 'jobs'), { hasAcls: true, aclConditions: [] })
        t.same(await list(tenant, 'jobs', governed), ['d1', 'd2', 'd3', 'd4', 'f1', 'f2'], 'an empty ACL governs too')
        t.same(await list(tenant, 'jobs', { kind: 'conditional', filter: { op: 'not', arg: { op: 'acl_governed' } } }), ['free', 'orphan'])
        t.same(await list(tenant, 'jobs', allows('view', ['group:crew-a'])), ['d1', 'd2', 'd3', 'f1'], 'the holder\'s entries decide for the resources below it')
        t.same(await list(tenant, 'jobs', allows('view', ['u9'])), [], 'an entry naming someone else does not apply')
        t.same(await list(tenant, 'jobs', allows('edit', ['u9', 'group:crew-a'])), [], 'a deny wins over an allow')
        t.same(await list(tenant, 'jobs', allows('delete', ['group:crew-a'])), [], 'another action')
        t.same(await list(tenant, 'tickets', allows('view', ['*'])), ['f1'], 'each module reads its own entries')

        await store.putResource(tenant, job('f1', { project: 'p1', acl: [{ who: 'u1', allow: ['view'], when: 'context.x == 1' }, { who: 'u1', deny: ['view'], when: 'action.y == 2' }] }))
        await store.putResource(tenant, job('f2', { parent: 'f1' }))
        t.same(await store.getSearchFacts(tenant, 'jobs'), { hasAcls: true, aclConditions: ['action.y == 2', 'context.x == 1'] }, 'the distinct conditions of the entries')
        t.same(await list(tenant, 'jobs', allows('view', ['group:crew-a'])), [], 'a rewritten ACL replaces its entries')
        t.same(await list(tenant, 'jobs', allows('view', ['u1'])), [], 'an entry with a condition applies only where it holds')
        t.same(await list(tenant, 'jobs', allows('view', ['u1'], ['context.x == 1'])), ['d1', 'd2', 'd3', 'd4', 'f1', 'f2'], 'a removed ACL hands its resources to the next holder up')
        t.same(await list(tenant, 'jobs', allows('view', ['u1'], ['action.y == 2', 'context.x == 1'])), [], 'and a deny where its own holds')
        t.same((await store.getResource(tenant, 'jobs', 'f1'))?.acl, [{ who: 'u1', allow: ['view'], when: 'context.x == 1' }, { who: 'u1', deny: ['view'], when: 'action.y == 2' }], 'the ACL reads back as written')

        await store.putResource(tenant, job('f1', { project: 'p1', acl: [null, { who: 5, allow: ['view'] }, { who: 'u1', allow: ['view', 'view', 7], when: 3 }, { who: 'u2', allow: ['view', 'view'] }] as unknown as ResourceFacts['acl'] }))
        t.same(await list(tenant, 'jobs', allows('view', ['u1', '5'], ['3'])), [], 'entries the engine cannot match are not written')
        t.same(await list(tenant, 'jobs', allows('view', ['u2'])), ['d1', 'd2', 'd3', 'd4', 'f1', 'f2'], 'a repeated action is one row')
        t.same(await store.getSearchFacts(tenant, 'jobs'), { hasAcls: true, aclConditions: [] })

        await store.deleteResource(tenant, 'jobs', 'f1')
        t.same(await list(tenant, 'jobs', governed), [], 'a deleted holder takes its entries along')
        t.same(await store.getSearchFacts(tenant, 'jobs'), { hasAcls: false, aclConditions: [] })
        await store.putResource(tenant, job('f1', { project: 'p1' }))
        t.same(await list(tenant, 'jobs', allows('view', ['u2'])), [], 'and a holder stored again without ACL has none')
      })

      t.test('the ACL entries of a failed write are not written', async t => {
        const tenant = await newTenant(store)
        await put(tenant, job('f1', { acl: [{ who: 'u1', allow: ['view'] }] }))
        // An edit that writes the resource and then fails: its whole transaction rolls back.
        await t.rejects(store.editTenant(tenant, async scoped => {
          await scoped.putResource(tenant, job('f1', { acl: [{ who: 'u2', allow: ['view'] }] }))
          throw new Error('the edit fails after the write')
        }), /the edit fails after the write/)
        const allows = (who: string): QueryPlan => ({ kind: 'conditional', filter: { op: 'acl_allows', action: 'view', who: [who] } })
        t.same(await list(tenant, 'jobs', allows('u1')), ['f1'])
        t.same(await list(tenant, 'jobs', allows('u2')), [])
      })

      t.test('search reads one tenant and one module only', async t => {
        const a = await newTenant(store)
        const b = await newTenant(store)
        await put(a, job('j1', { project: 'p1', relations: { assignee: ['u1'] }, acl: [] }))
        await put(b, job('j2', { project: 'p1', relations: { assignee: ['u1'] }, acl: [] }))
        await store.putResource(a, { module: 'tickets', id: 'j3', project: 'p1', relations: { assignee: ['u1'] }, acl: [] })
        for (const plan of [{ kind: 'always' } as const, inProject('p1'), withRelation('assignee', 'u1')]) {
          t.same(await list(a, 'jobs', plan), ['j1'], JSON.stringify(plan))
          t.same(await list(b, 'jobs', plan), ['j2'], JSON.stringify(plan))
        }
        t.same(await store.getSearchFacts(a, 'jobs'), { hasAcls: true, aclConditions: [] })
        await store.putResource(b, job('j2', { acl: [{ who: 'u1', allow: ['view'], when: 'context.x == 1' }] }))
        t.same(await store.getSearchFacts(a, 'jobs'), { hasAcls: true, aclConditions: [] }, 'another tenant\'s ACL conditions are not read')
        const allows: QueryPlan = { kind: 'conditional', filter: { op: 'acl_allows', action: 'view', who: ['u1'], when: ['context.x == 1'] } }
        t.same(await list(a, 'jobs', allows), [], 'nor its entries')
        t.same(await list(b, 'jobs', allows), ['j2'])
      })

      t.test('a limit outside 1..MAX_PAGE_LIMIT or a malformed plan is a StoreError, and nothing else escapes', async t => {
        const tenant = await newTenant(store)
        for (const limit of [0, -1, 1.5, MAX_PAGE_LIMIT + 1, Number.NaN]) {
          await t.rejects(store.listResources(tenant, 'jobs', { kind: 'always' }, { limit }), { name: 'StoreError', kind: 'internal' }, `limit ${limit}`)
        }
        const bad = { kind: 'conditional', filter: { op: 'sql', values: ['1 = 1'] } } as unknown as QueryPlan
        const err = await store.listResources(tenant, 'jobs', bad, { limit: 1 }).catch((e: unknown) => e)
        t.type(err, StoreError)
        t.equal((err as Error).constructor.name, 'StoreError')
      })
    })

    t.test('api keys', async t => {
      t.test('a key is found by its id alone, whatever the tenant', async t => {
        const tenant = await newTenant(store)
        const id = freshId('key')
        await store.createKey({ id, tenantId: tenant, secretHash: 'scrypt$abc', scopes: ['check', 'audit'] })
        const key = await store.getKey(id)
        t.match(key, { id, tenantId: tenant, secretHash: 'scrypt$abc', scopes: ['check', 'audit'], revokedAt: null })
        t.type(key?.createdAt, Date)
        t.same(await store.listKeys(tenant), [key])
      })

      t.test('keys are listed oldest first, to the microsecond, revoked ones in place', async t => {
        const tenant = await newTenant(store)
        // Ids in descending order, created back to back (often within one millisecond):
        // neither the id nor a millisecond clock gives the creation order.
        const ids = ['f', 'c', 'a'].map(c => c.repeat(4) + freshId('k'))
        for (const id of ids) await store.createKey({ id, tenantId: tenant, secretHash: 'h', scopes: ['check'] })
        await store.revokeKey(tenant, ids[0] as string)
        t.same((await store.listKeys(tenant)).map(k => k.id), ids)
      })

      t.test('a key id is unique across tenants', async t => {
        const a = await newTenant(store)
        const b = await newTenant(store)
        const id = freshId('key')
        await store.createKey({ id, tenantId: a, secretHash: 'h', scopes: ['check'] })
        const err = await store.createKey({ id, tenantId: b, secretHash: 'h2', scopes: ['admin'] }).catch((e: unknown) => e)
        t.type(err, ConflictError)
        t.match(err, { kind: 'conflict', code: 'duplicate', message: `key \`${id}\` already exists` })
        t.equal(await revisionOf(store, b), 1, 'the failed write bumped nothing')
        t.same(await store.listKeys(b), [])
        t.match(await store.getKey(id), { tenantId: a, secretHash: 'h' })
      })

      t.test('revokeKey sets revokedAt once and keeps the first time', async t => {
        const tenant = await newTenant(store)
        const id = freshId('key')
        await store.createKey({ id, tenantId: tenant, secretHash: 'h', scopes: ['admin'] })
        await store.revokeKey(tenant, id)
        const first = (await store.getKey(id))?.revokedAt
        t.type(first, Date)
        await new Promise(resolve => setTimeout(resolve, 5))
        t.equal((await store.revokeKey(tenant, id)).revision, 4, 'revoking again is a write')
        t.same((await store.getKey(id))?.revokedAt, first)
      })

      t.test('a tenant cannot revoke another tenant\'s key', async t => {
        const a = await newTenant(store)
        const b = await newTenant(store)
        const id = freshId('key')
        await store.createKey({ id, tenantId: a, secretHash: 'h', scopes: ['check'] })
        await t.rejects(store.revokeKey(b, id), { code: 'key_not_found', entity: 'key', id })
        t.equal((await store.getKey(id))?.revokedAt, null)
      })
    })

    t.test('tenant isolation: another tenant\'s rows are invisible and untouched', async t => {
      const a = await newTenant(store)
      const b = await newTenant(store)
      await store.putPolicy(a, BUNDLE)
      await store.putSubject(a, { id: 'u1', roles: ['manager'], aliases: ['marie@example.com'] })
      await store.putGroup(a, { id: 'g1', description: 'in a' })
      await store.putResource(a, { module: 'jobs', id: 'j1', project: 'a', relations: {} })
      await store.createKey({ id: freshId('key'), tenantId: a, secretHash: 'h', scopes: ['check'] })
      const aBefore = await snapshot(store, a, [['jobs', 'j1']])

      t.equal(await store.getPolicy(b), undefined)
      t.equal(await store.getSubject(b, 'u1'), undefined)
      t.equal(await store.getGroup(b, 'g1'), undefined)
      t.equal(await store.getResource(b, 'jobs', 'j1'), undefined)
      t.same(await store.listSubjects(b), [])
      t.same(await store.listGroups(b), [])
      t.same(await store.listKeys(b), [])
      await t.rejects(store.deleteSubject(b, 'u1'), { code: 'subject_not_found', entity: 'subject' })
      await t.rejects(store.deleteGroup(b, 'g1'), { code: 'group_not_found', entity: 'group' })
      await t.rejects(store.deleteResource(b, 'jobs', 'j1'), { code: 'resource_not_found', entity: 'resource' })

      // The same ids and aliases are free in b.
      t.match(await store.putSubject(b, { id: 'marie@example.com', roles: [], aliases: ['u1'] }), { created: true })
      t.match(await store.putGroup(b, { id: 'g1', description: 'in b' }), { created: true })
      t.match(await store.putResource(b, { module: 'jobs', id: 'j1', project: 'b', relations: {} }), { created: true })
      await store.putPolicy(b, { version: 1, modules: {}, roles: {} })
      await store.deleteGroup(b, 'g1')

      t.same(await snapshot(store, a, [['jobs', 'j1']]), aBefore, 'a is exactly as before, revision included')
      t.match(await store.getResource(b, 'jobs', 'j1'), { project: 'b' })
    })

    t.test('root key hash', async t => {
      t.test('initRootKeyHash stores the first hash only and returns the stored one', async t => {
        const before = await store.getRootKeyHash()
        const first = await store.initRootKeyHash(freshId('hash'))
        if (before !== undefined) t.equal(first, before, 'an earlier hash is kept')
        t.equal(await store.initRootKeyHash(freshId('hash')), first)
        t.equal(await store.getRootKeyHash(), first)
      })
    })

    t.test('errors', async t => {
      t.test('a database error leaves the store as a StoreError, without the SQL or its parameters, and writes nothing', async t => {
        const tenant = await newTenant(store)
        // PostgreSQL text cannot hold NUL: the driver fails the statement.
        const err = await store.putSubject(tenant, { id: 'u\u0000secret-value', roles: [] }).catch((e: unknown) => e)
        t.type(err, StoreError)
        t.equal((err as Error).constructor.name, 'StoreError', 'not a driver or drizzle error')
        t.match(err, { kind: 'internal' })
        t.notMatch((err as Error).message, /secret-value|insert|select|update/i)
        t.equal(await revisionOf(store, tenant), 1)
      })

      t.test('a closed store throws StoreUnavailableError', async t => {
        const other = await harness.open()
        await other.close()
        await t.rejects(other.store.getTenant('x'), StoreUnavailableError)
        await t.rejects(other.store.putTenant(freshId('tenant'), { name: 'x' }), { kind: 'unavailable', code: 'store_unavailable' })
        await t.resolves(other.close(), 'closing twice is harmless')
      })
    })

    t.test('concurrent writers', { skip: concurrent }, async t => {
      t.test('20 parallel putSubject on one tenant raise the revision by exactly 20', async t => {
        const tenant = await newTenant(store)
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putSubject(tenant, { id: `u${i}`, roles: [] })))
        t.same(results.map(r => r.revision).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 2), 'each write got its own revision')
        t.equal(await revisionOf(store, tenant), 21)
        t.equal((await store.listSubjects(tenant)).length, 20)
      })

      t.test('parallel writes with the same ifRevision: exactly one succeeds', async t => {
        const tenant = await newTenant(store)
        const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.putGroup(tenant, { id: `g${i}`, description: '' }, { ifRevision: 1 })))
        t.equal(settled.filter(s => s.status === 'fulfilled').length, 1)
        for (const s of settled) {
          if (s.status === 'rejected') t.type(s.reason, RevisionMismatchError)
        }
        t.equal(await revisionOf(store, tenant), 2)
        t.equal((await store.listGroups(tenant)).length, 1)
      })

      t.test('two subjects claiming one alias at once: exactly one gets it', async t => {
        for (let round = 0; round < 5; round++) {
          const tenant = await newTenant(store)
          const settled = await Promise.allSettled([
            store.putSubject(tenant, { id: 'u1', roles: [], aliases: ['shared'] }),
            store.putSubject(tenant, { id: 'u2', roles: [], aliases: ['shared'] }),
            store.putSubject(tenant, { id: 'shared', roles: [] })
          ])
          t.equal(settled.filter(s => s.status === 'fulfilled').length, 1, `round ${round}: one winner`)
          for (const s of settled) {
            if (s.status === 'rejected') t.type(s.reason, ConflictError)
          }
          t.equal((await store.listSubjects(tenant)).length, 1)
          t.equal(await revisionOf(store, tenant), 2)
        }
      })

      t.test('parallel putTenant of a new tenant: one creates it, the others rename it', async t => {
        const id = freshId('tenant')
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putTenant(id, { name: `n${i}` })))
        t.equal(results.filter(r => r.created).length, 1)
        t.same(results.map(r => r.revision).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8])
      })

      t.test('replicas initialising the root key hash at once all end up with the same one', async t => {
        // A backend of its own: the root key hash is database-wide, and must not be set yet.
        const fresh = await harness.open()
        t.teardown(() => fresh.close())
        t.equal(await fresh.store.getRootKeyHash(), undefined)
        const offered = Array.from({ length: 10 }, () => freshId('hash'))
        const hashes = await Promise.all(offered.map(h => fresh.store.initRootKeyHash(h)))
        t.equal(new Set(hashes).size, 1, 'every caller got the same hash')
        t.ok(offered.includes(hashes[0] ?? ''), 'one of the offered hashes')
        t.equal(await fresh.store.getRootKeyHash(), hashes[0])
      })
    })
  })
}
