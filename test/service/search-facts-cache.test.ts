/**
 * Search's ACL facts are read once per tenant revision and module: the cache on its own
 * (revision tags, the weight bound, forgets racing a read), then through the services on
 * each backend (paging reads them once; this process's writes, another replica's once
 * applied, and this process's write while its state lags are all seen).
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { SearchFacts } from '../../src/engine/index.js'
import { createServices } from '../../src/service/index.js'
import type { SearchPageInput } from '../../src/service/search.js'
import { bytesOf, SearchFactsCache } from '../../src/service/search-facts-cache.js'
import type { Store } from '../../src/store/store.js'
import { eachBackend } from '../helpers/build-app.js'
import { exampleBundle } from '../http/fixtures.js'
import { countingStore } from './counting-store.js'

/** Facts of a module whose ACL entries carry one condition per name, each about 100 characters long. */
function factsOf (...names: string[]): SearchFacts {
  return { hasAcls: names.length > 0, aclConditions: names.map(name => `context.${name.padEnd(80, '_')} == 'office'`) }
}

/** Reads through the cache: the facts served, and whether `load` was called for them. */
async function read (cache: SearchFactsCache, tenant: string, module: string, revision: number, stored: SearchFacts): Promise<{ facts: SearchFacts, loaded: boolean }> {
  let loaded = false
  const facts = await cache.read(tenant, module, revision, async () => { loaded = true; return stored })
  return { facts, loaded }
}

t.test('the cache keeps facts for the revision they were read at', async t => {
  const cache = new SearchFactsCache(10_000)
  const facts = factsOf('a', 'b')
  t.same(await read(cache, 't', 'docs', 7, facts), { facts, loaded: true }, 'read from the store first')
  t.equal((await read(cache, 't', 'docs', 7, factsOf('other'))).facts, facts, 'then served at the same revision')
  for (const [tenant, module, revision, what] of [['t', 'docs', 8, 'a later revision'], ['t', 'docs', 6, 'an earlier one'], ['t', 'jobs', 7, 'another module'], ['u', 'docs', 7, 'another tenant']] as const) {
    t.ok((await read(cache, tenant, module, revision, facts)).loaded, `not for ${what}`)
  }
  // The read at revision 6 above did not replace the entry of revision 8.
  t.notOk((await read(cache, 't', 'docs', 8, facts)).loaded, 'a read of an earlier revision does not replace a later one')
  const later = factsOf('c')
  await read(cache, 't', 'docs', 9, later)
  t.equal((await read(cache, 't', 'docs', 9, facts)).facts, later, 'a later revision replaces it')
  t.ok((await read(cache, 't', 'docs', 8, facts)).loaded, 'and the earlier one is gone')
})

t.test('a read that raced a forget is not kept; forget drops the module only', async t => {
  const cache = new SearchFactsCache(10_000)
  await read(cache, 't', 'jobs', 3, factsOf('j'))
  await read(cache, 't', 'docs', 3, factsOf('d'))
  cache.forget('t', 'docs')
  t.ok((await read(cache, 't', 'docs', 3, factsOf('d'))).loaded, 'forgotten')
  t.notOk((await read(cache, 't', 'jobs', 3, factsOf('j'))).loaded, 'the other module stays')

  cache.forget('t', 'docs')
  let release: (facts: SearchFacts) => void = () => {}
  const raced = cache.read('t', 'docs', 3, async () => await new Promise<SearchFacts>(resolve => { release = resolve }))
  cache.forget('t', 'docs')
  release(factsOf('stale'))
  t.same(await raced, factsOf('stale'), 'the search that read them gets them')
  t.ok((await read(cache, 't', 'docs', 3, factsOf('fresh'))).loaded, 'but facts read across a forget are not kept')
  t.notOk((await read(cache, 't', 'docs', 3, factsOf('other'))).loaded, 'a read with no forget meanwhile is')
})

t.test('the bound is the estimated heap of the entries; the least recently used entry goes first', async t => {
  const two = bytesOf(factsOf('1', '2'))
  const one = bytesOf(factsOf('1'))
  const empty = bytesOf(factsOf())
  t.ok(empty < one && one < two, 'more conditions weigh more')
  t.ok(bytesOf({ hasAcls: true, aclConditions: [`${(factsOf('1').aclConditions[0] ?? '')}!`] }) > one, 'and so do longer ones')
  const cache = new SearchFactsCache(3 * two)
  for (const module of ['a', 'b', 'c']) await read(cache, 't', module, 1, factsOf('1', '2'))
  t.equal(cache.bytes, 3 * two, 'full')
  t.notOk((await read(cache, 't', 'a', 1, factsOf())).loaded, 'a is used, so b is now the least recently used')
  await read(cache, 't', 'd', 1, factsOf('1'))
  t.equal(cache.bytes, 2 * two + one, 'b made room')
  for (const module of ['c', 'd', 'a']) t.notOk((await read(cache, 't', module, 1, factsOf())).loaded, `${module} stays`)
  t.ok((await read(cache, 't', 'b', 1, factsOf())).loaded, 'b is read again')
  t.equal(cache.bytes, 2 * two + one + empty, 'and fits beside them')

  const before = cache.bytes
  await read(cache, 't', 'huge', 1, factsOf(...Array.from({ length: 9 }, (_, i) => String(i))))
  t.equal(cache.bytes, before, 'facts heavier than the whole bound are not kept, and evict nothing')
  t.ok((await read(cache, 't', 'huge', 1, factsOf())).loaded)

  const none = new SearchFactsCache(0)
  await read(none, 't', 'a', 1, { hasAcls: false, aclConditions: [] })
  t.ok((await read(none, 't', 'a', 1, { hasAcls: false, aclConditions: [] })).loaded, 'a size of 0 keeps nothing, not even a module without ACLs')
  t.throws(() => new SearchFactsCache(-1), RangeError)
})

const fresh = (): string => `f-${randomBytes(5).toString('hex')}`

/** The ids `search/resource` returns for marie's `view` on documents, every page (limit 1, so paging too). */
async function visible (services: ReturnType<typeof createServices>, tenant: string): Promise<{ ids: string[], revision: number }> {
  const ids: string[] = []
  let page: SearchPageInput = { limit: 1 }
  let revision = 0
  for (;;) {
    const res = await services.search.resources(tenant, { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'documents' }, page })
    ids.push(...res.results.map(r => r.id))
    revision = res.context.revision
    if (res.page.next_token === '') return { ids, revision }
    page = { limit: 1, token: res.page.next_token }
  }
}

/** The store with `getRevisions` (a replica's first step to catch up) held until `release`. */
function heldCatchUp (store: Store): { store: Store, release: () => void } {
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const held = new Proxy(store, {
    get (target, name, receiver) {
      if (name !== 'getRevisions') return Reflect.get(target, name, receiver) as unknown
      return async (...args: Parameters<Store['getRevisions']>) => { await gate; return await target.getRevisions(...args) }
    }
  })
  return { store: held, release }
}

await eachBackend(t, async (t, backend) => {
  /** A tenant with the example policy, marie an employee, two open documents and one locked by an ACL naming paul. */
  async function seeded (writer: ReturnType<typeof createServices>): Promise<string> {
    const tenant = fresh()
    await writer.admin.putTenant(tenant, {})
    await writer.admin.putPolicy(tenant, exampleBundle)
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    await writer.admin.putResource(tenant, 'documents', 'd-1', {})
    await writer.admin.putResource(tenant, 'documents', 'd-2', {})
    await writer.admin.putResource(tenant, 'documents', 'd-locked', { acl: [{ who: 'paul', allow: ['view'] }] })
    return tenant
  }
  const factReads = (calls: string[]): number => calls.filter(c => c === 'getSearchFacts').length

  await t.test('paging through a search reads the facts once; a write of this process is seen at once', async t => {
    const { store, calls } = countingStore(backend.store)
    const services = createServices({ store, rootKey: undefined })
    const tenant = await seeded(services)
    t.same((await visible(services, tenant)).ids, ['d-1', 'd-2'])
    t.same((await visible(services, tenant)).ids, ['d-1', 'd-2'])
    t.equal(factReads(calls), 1, 'four pages, one read of the ACL facts')

    await services.admin.putResource(tenant, 'documents', 'd-locked', { acl: [{ who: 'marie', allow: ['view'] }] })
    t.same((await visible(services, tenant)).ids, ['d-1', 'd-2', 'd-locked'], 'the new ACL lets marie see it')
    await services.admin.deleteResource(tenant, 'documents', 'd-2')
    t.same((await visible(services, tenant)).ids, ['d-1', 'd-locked'])
    t.equal(factReads(calls), 3, 'read again after each write')
  })

  await t.test("another replica's write is seen once this replica reaches its revision", async t => {
    const writer = createServices({ store: backend.store, rootKey: undefined })
    const tenant = await seeded(writer)
    const { store, calls } = countingStore(backend.store)
    const replica = createServices({ store, rootKey: undefined })
    const before = await visible(replica, tenant)
    t.same(before.ids, ['d-1', 'd-2'])

    await writer.admin.putResource(tenant, 'documents', 'd-locked', { acl: [{ who: 'marie', allow: ['view'] }] })
    t.equal((await visible(replica, tenant)).revision, before.revision, 'no change feed here: the replica is still at its revision')
    t.equal(factReads(calls), 1, 'and answers from the facts kept for it')

    await replica.states.refresh(tenant)
    const after = await visible(replica, tenant)
    t.ok(after.revision > before.revision)
    t.same(after.ids, ['d-1', 'd-2', 'd-locked'], 'at the new revision the write is seen')
    t.equal(factReads(calls), 2)
  })

  await t.test("a write of this process is seen even while the state lags behind another replica's", async t => {
    const writer = createServices({ store: backend.store, rootKey: undefined })
    const tenant = await seeded(writer)
    const held = heldCatchUp(backend.store)
    const replica = createServices({ store: held.store, rootKey: undefined })
    t.teardown(held.release)
    const before = await visible(replica, tenant)

    await writer.admin.putSubject(tenant, 'paul', { roles: ['employee'] })
    const own = await replica.admin.putResource(tenant, 'documents', 'd-locked', { acl: [{ who: 'marie', allow: ['view'] }] })
    const lagging = await visible(replica, tenant)
    t.equal(lagging.revision, before.revision, "the replica's state has not caught up (its catch-up is held)")
    t.ok(own.revision > lagging.revision)
    t.same(lagging.ids, ['d-1', 'd-2', 'd-locked'], 'yet its own write is in the answer')
    held.release()
  })
})
