/**
 * The resource cache under eviction: whatever the LRU drops to make room is read from the
 * store again, what it keeps is not, and a resource read again after its eviction is
 * cached again (the tenant → module → id index follows the LRU).
 */
import t from 'tap'
import type { ResourceFacts } from '../../src/engine/model.js'
import { ResourceCache } from '../../src/service/resource-cache.js'
import type { Store } from '../../src/store/store.js'

t.test('an evicted resource is read again and cached again; the others stay', async t => {
  const reads: string[] = []
  const store = {
    getResource: async (tenantId: string, module: string, id: string): Promise<ResourceFacts | undefined> => {
      reads.push(`${tenantId}/${module}/${id}`)
      return id.startsWith('absent') ? undefined : { module, id, relations: {} }
    }
  } as unknown as Store
  const cache = new ResourceCache({ store, size: 3 })
  const names: Array<[string, string, string]> = [['t1', 'jobs', 'a'], ['t1', 'invoices', 'a'], ['t2', 'jobs', 'absent-1'], ['t2', 'jobs', 'b']]
  for (const [tenant, module, id] of names) await cache.get(tenant, module, id)
  t.equal(reads.length, 4)
  const known = names.filter(([tenant, module, id]) => cache.cached(tenant, module, id) !== undefined)
  t.same(known, names.slice(1), 'the oldest, never read again, made room')
  t.equal(cache.cached('t2', 'jobs', 'absent-1'), null, 'an absent resource is known absent')

  reads.length = 0
  for (const [tenant, module, id] of names.slice(1)) await cache.get(tenant, module, id)
  t.same(reads, [], 'the cached ones are not read')
  t.same(await cache.get('t1', 'jobs', 'a'), { module: 'jobs', id: 'a', relations: {} })
  t.same(reads, ['t1/jobs/a'], 'the evicted one is read again')
  t.ok(cache.cached('t1', 'jobs', 'a'), 'and cached again')
  t.equal(names.filter(([tenant, module, id]) => cache.cached(tenant, module, id) !== undefined).length, 3, 'still three in all')

  await cache.get('t3', 'jobs', 'w')
  t.ok(cache.cached('t3', 'jobs', 'w'), 'a read is cached')
  cache.forget('t3', 'jobs', 'w')
  t.equal(cache.cached('t3', 'jobs', 'w'), undefined, 'and forgotten by name')
})
