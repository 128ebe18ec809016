/**
 * A bounded cache of stored resources, shared by every tenant, in front of the store.
 * Absent resources are cached too (as `null`): AuthZEN clients check ids that no one
 * stored, and those checks must not query the store each time. This process's resource
 * writes update the entry; a read never overwrites an entry a write placed meanwhile.
 */
import type { ResourceFacts } from '../engine/model.js'
import type { Store } from '../store/store.js'
import { Lru } from './lru.js'

interface Entry {
  readonly facts: ResourceFacts | null
  /** The tenant revision of the write that placed the entry; 0 for an entry read from the store. */
  readonly revision: number
}

export class ResourceCache {
  readonly #store: Store
  readonly #entries: Lru<string, Entry>

  constructor (opts: { store: Store, size?: number }) {
    this.#store = opts.store
    this.#entries = new Lru(opts.size ?? 50_000)
  }

  /** The stored resource, or `undefined` when none is stored under that module and id. */
  async get (tenantId: string, module: string, id: string): Promise<ResourceFacts | undefined> {
    const key = cacheKey(tenantId, module, id)
    const hit = this.#entries.get(key)
    if (hit !== undefined) return hit.facts ?? undefined
    const facts = await this.#store.getResource(tenantId, module, id)
    if (!this.#entries.has(key)) this.#entries.set(key, { facts: facts ?? null, revision: 0 })
    return facts
  }

  /** Records a write (`null`: a delete) of this process at `revision`. */
  written (tenantId: string, module: string, id: string, facts: ResourceFacts | null, revision: number): void {
    const key = cacheKey(tenantId, module, id)
    const current = this.#entries.peek(key)
    if (current !== undefined && current.revision > revision) return
    this.#entries.set(key, { facts, revision })
  }

  /** Forgets every resource of a tenant (after another process changed it); walks the whole cache. */
  invalidateTenant (tenantId: string): void {
    const prefix = `${tenantId}\u0000`
    this.#entries.deleteWhere(key => key.startsWith(prefix))
  }
}

function cacheKey (tenantId: string, module: string, id: string): string {
  // INVARIANT: tenant ids and module names contain no NUL, so keys cannot collide.
  return `${tenantId}\u0000${module}\u0000${id}`
}
