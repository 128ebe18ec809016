/**
 * A store read that races a forget is not cached: what it read may predate the write
 * that made the cache forget (the resource cache and the key ring alike); after lost
 * notifications nothing cached is trusted, nor after a reload whose writes the audit log
 * cannot name at once. Stores here are stand-ins whose reads resolve when the test says,
 * so that the interleaving is exact.
 */
import t from 'tap'
import type { ResourceFacts } from '../../src/engine/model.js'
import { KeyRing, mintKey } from '../../src/service/index.js'
import { Propagation } from '../../src/service/propagation.js'
import { ResourceCache } from '../../src/service/resource-cache.js'
import { TenantStates } from '../../src/service/tenant-state.js'
import type { ApiKey, AuditedEntity, AuditEntry, Store } from '../../src/store/store.js'

/** A read held until `release` is called with what it returns; `reads` counts them. */
function heldReads<T> (): { read: () => Promise<T>, release: (value: T) => void, reads: () => number } {
  const pending: Array<(value: T) => void> = []
  let count = 0
  return {
    read: async () => { count++; return await new Promise<T>(resolve => { pending.push(resolve) }) },
    release: value => { pending.shift()?.(value) },
    reads: () => count
  }
}

const JOB: ResourceFacts = { module: 'jobs', id: 'j', relations: {} }

t.test('a resource read that raced a forget is returned but not cached', async t => {
  const held = heldReads<ResourceFacts | undefined>()
  const cache = new ResourceCache({ store: { getResource: held.read } as unknown as Store })

  const raced = cache.load('t', 'jobs', 'j')
  cache.forget('t', 'jobs', 'j')
  held.release(JOB)
  t.same(await raced, JOB, 'the request that read it gets it')
  t.equal(cache.cached('t', 'jobs', 'j'), undefined, 'not cached')

  const calm = cache.load('t', 'jobs', 'j')
  held.release(JOB)
  await calm
  t.same(cache.cached('t', 'jobs', 'j'), JOB, 'a read with no forget meanwhile is cached')
  cache.forget('t', 'jobs', 'j')
  t.equal(cache.cached('t', 'jobs', 'j'), undefined, 'and forgotten by name')
  t.equal(held.reads(), 2)
})

t.test('a key read that raced a forget answers its request but is read again next time', async t => {
  const { keyId, token, secretHash } = mintKey()
  const key: ApiKey = { id: keyId, tenantId: 't', secretHash, scopes: ['check'], actor: 'optional', createdAt: new Date(), revokedAt: null }
  const held = heldReads<ApiKey | undefined>()
  const ring = new KeyRing({ store: { getKey: held.read } as unknown as Store, rootKey: 'configured-root-key-000' })

  for (const forget of [() => { ring.forget(keyId) }, () => { ring.forgetTenant('t') }, () => { ring.forgetAll() }]) {
    const raced = ring.authenticate(token)
    forget()
    held.release(key)
    t.match(await raced, { kind: 'tenant', keyId }, 'the racing request is answered')
    const next = ring.authenticate(token)
    t.ok(next instanceof Promise, 'the next one reads the store again')
    held.release(key)
    t.match(await next, { kind: 'tenant', keyId })
    t.match(ring.authenticate(token), { kind: 'tenant', keyId }, 'then it is cached')
    ring.forget(keyId)
  }
  t.equal(held.reads(), 6)
})

t.test('after the change feed was down, every cached resource and key is forgotten, of tenants in memory or not', async t => {
  let handlers: Parameters<Store['watch']>[0] | undefined
  const { keyId, token, secretHash } = mintKey()
  const key: ApiKey = { id: keyId, tenantId: 'gone', secretHash, scopes: ['check'], actor: 'optional', createdAt: new Date(), revokedAt: null }
  const reads: string[] = []
  const store = {
    watch: async (h: Parameters<Store['watch']>[0]) => { handlers = h; return async () => {} },
    getRevisions: async () => new Map<string, number>(),
    getResource: async (_t: string, module: string, id: string) => { reads.push(id); return { module, id, relations: {} } },
    getKey: async () => { reads.push(keyId); return key }
  } as unknown as Store
  const resources = new ResourceCache({ store })
  const keys = new KeyRing({ store, rootKey: 'configured-root-key-000' })
  const propagation = new Propagation({ store, states: new TenantStates({ store }), resources, keys, pollMs: 0 })
  await propagation.start()
  handlers?.onStatus(true)
  await resources.get('gone', 'jobs', 'j')
  await keys.authenticate(token)
  handlers?.onStatus(false)
  t.ok(resources.cached('gone', 'jobs', 'j'), 'while the feed is down, the cache answers')
  handlers?.onStatus(true)
  t.equal(resources.cached('gone', 'jobs', 'j'), undefined, 'back up: the resource of a tenant not in memory is forgotten')
  t.ok(keys.authenticate(token) instanceof Promise, 'and the key is read again')
  await propagation.stop()
})

/** An entry as the store lists it; `entityId` names the entity as the log stores it. */
function entry (r: number, entityType: 'policy' | 'subject' | 'resource', entityId: string): AuditEntry {
  const slash = entityId.indexOf('/')
  const entity: AuditedEntity = entityType === 'policy'
    ? { type: 'policy' }
    : entityType === 'subject' ? { type: 'subject', id: entityId } : { type: 'resource', module: entityId.slice(0, slash), id: entityId.slice(slash + 1) }
  return { revision: r, entity, entityType, entityId, action: 'put', before: null, after: null, at: new Date(), keyId: null, actor: null }
}

t.test('a whole reload after more writes than the audit log lists at once forgets all of the tenant\'s cached resources and keys', async t => {
  let revision = 1
  const { keyId, token, secretHash } = mintKey()
  const key: ApiKey = { id: keyId, tenantId: 't', secretHash, scopes: ['check'], actor: 'optional', createdAt: new Date(), revokedAt: null }
  // The writes since revision 1: a policy edit (so no catch-up in place), then more than one listing holds.
  const audit = [entry(2, 'policy', 't'), ...Array.from({ length: 3 }, (_, i) => entry(3 + i, 'subject', `s${i}`))]
  let listed = 0
  const store = {
    getTenant: async (id: string) => ({ id, name: id, revision, createdAt: new Date() }),
    getPolicy: async () => undefined,
    listSubjects: async () => [],
    getRevisions: async (ids: string[]) => new Map(ids.map(id => [id, revision])),
    listAudit: async () => { listed++; return { entries: audit.slice(0, 2), hasMore: true } },
    getResource: async (_t: string, module: string, id: string) => ({ module, id, relations: {} }),
    getKey: async () => key
  } as unknown as Store
  const resources = new ResourceCache({ store })
  const keys = new KeyRing({ store, rootKey: 'configured-root-key-000' })
  const states = new TenantStates({ store, caches: { resources, keys } })
  await states.get('t')
  await resources.get('t', 'jobs', 'j')
  await resources.get('other', 'jobs', 'j')
  await keys.authenticate(token)
  revision = 5
  t.equal((await states.refresh('t'))?.revision, 5, 'reloaded whole')
  t.equal(listed, 1, 'the reload used the log the catch-up listed')
  t.equal(resources.cached('t', 'jobs', 'j'), undefined, 'the writes could not all be named: every resource of the tenant is forgotten')
  t.ok(keys.authenticate(token) instanceof Promise, 'and so is every key')
  t.ok(resources.cached('other', 'jobs', 'j'), 'another tenant\'s stay')
})

t.test('a whole reload that loads writes made after the catch-up listed the log lists it again, and forgets what they name', async t => {
  let revision = 1
  const audit = [entry(2, 'policy', 't'), entry(3, 'resource', 'jobs/j1')]
  let listed = 0
  const store = {
    getTenant: async (id: string) => ({ id, name: id, revision, createdAt: new Date() }),
    getPolicy: async () => undefined,
    listSubjects: async () => [],
    getRevisions: async (ids: string[]) => new Map(ids.map(id => [id, revision])),
    listAudit: async (_t: string, q: { afterRevision: number }) => {
      listed++
      const entries = audit.filter(e => e.revision > q.afterRevision)
      // Another replica writes j2 right after the catch-up read the log, before the reload.
      if (listed === 1) {
        revision = 4
        audit.push(entry(4, 'resource', 'jobs/j2'))
      }
      return { entries, hasMore: false }
    },
    getResource: async (_t: string, module: string, id: string) => ({ module, id, relations: {} })
  } as unknown as Store
  const resources = new ResourceCache({ store })
  const states = new TenantStates({ store, caches: { resources, keys: new KeyRing({ store, rootKey: 'configured-root-key-000' }) } })
  await states.get('t')
  for (const id of ['j1', 'j2', 'j3']) await resources.get('t', 'jobs', id)
  revision = 3
  t.equal((await states.refresh('t'))?.revision, 4, 'reloaded whole, at the newer revision')
  t.equal(listed, 2, 'the log was listed again for the write after the catch-up\'s listing')
  t.equal(resources.cached('t', 'jobs', 'j1'), undefined, 'j1, written before the listing, is forgotten')
  t.equal(resources.cached('t', 'jobs', 'j2'), undefined, 'j2, written after it, too')
  t.ok(resources.cached('t', 'jobs', 'j3'), 'j3 stays')
})
