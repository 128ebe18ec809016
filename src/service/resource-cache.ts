/**
 * A bounded cache of stored resources, shared by every tenant, in front of the store.
 * Absent resources are cached too (as `null`): AuthZEN clients check ids that no one
 * stored, and those checks must not query the store each time. This process's resource
 * writes update the entry; a read never overwrites an entry a write placed meanwhile.
 */
import type { ResourceFacts } from '../engine/model.js'
import type { Store } from '../store/store.js'
import { Lru } from './lru.js'
import { TenantGenerations } from './tenant-generations.js'

interface Entry {
  readonly facts: ResourceFacts | null
  /** The tenant revision of the write that placed the entry; 0 for an entry read from the store. */
  readonly revision: number
  /** The tenant's generation when the entry was placed: an entry of an older one is void. */
  readonly generation: number
}

export class ResourceCache {
  readonly #store: Store
  readonly #entries: Lru<string, Entry>
  readonly #generations = new TenantGenerations()
  /** How many single entries were forgotten: a read that saw it change may have read a stale resource. */
  #forgotten = 0

  constructor (opts: { store: Store, size?: number }) {
    this.#store = opts.store
    this.#entries = new Lru(opts.size ?? 50_000)
  }

  /** The stored resource, or `undefined` when none is stored under that module and id. */
  async get (tenantId: string, module: string, id: string): Promise<ResourceFacts | undefined> {
    const hit = this.cached(tenantId, module, id)
    if (hit !== undefined) return hit ?? undefined
    return await this.load(tenantId, module, id)
  }

  /**
   * What the cache knows without asking the store: the stored resource, `null` when it is
   * known that none is stored, `undefined` when the cache does not know (then `load`).
   */
  cached (tenantId: string, module: string, id: string): ResourceFacts | null | undefined {
    const hit = this.#entries.get(cacheKey(tenantId, module, id))
    return hit !== undefined && hit.generation === this.#generations.of(tenantId) ? hit.facts : undefined
  }

  /** Reads the resource from the store and caches what it read. */
  async load (tenantId: string, module: string, id: string): Promise<ResourceFacts | undefined> {
    const key = cacheKey(tenantId, module, id)
    const generation = this.#generations.of(tenantId)
    const forgotten = this.#forgotten
    const facts = await this.#store.getResource(tenantId, module, id)
    // Placed with the generation read before the query, so that a tenant invalidated
    // meanwhile voids it; not placed at all when an entry was forgotten meanwhile (it may
    // be this one, and what was read may predate the write that made it forgotten).
    if (forgotten === this.#forgotten && this.#valid(tenantId, this.#entries.peek(key)) === undefined) {
      this.#entries.set(key, { facts: facts ?? null, revision: 0, generation })
    }
    return facts
  }

  /** Records a write (`null`: a delete) of this process at `revision`. */
  written (tenantId: string, module: string, id: string, facts: ResourceFacts | null, revision: number): void {
    const key = cacheKey(tenantId, module, id)
    const current = this.#valid(tenantId, this.#entries.peek(key))
    if (current !== undefined && current.revision > revision) return
    this.#entries.set(key, { facts, revision, generation: this.#generations.of(tenantId) })
  }

  /** Forgets one resource (another process wrote it): its next use reads the store. */
  forget (tenantId: string, module: string, id: string): void {
    this.#forgotten++
    this.#entries.delete(cacheKey(tenantId, module, id))
  }

  /**
   * Forgets every resource of a tenant (after another process changed it), in constant
   * time: its entries become void and age out of the cache like any other.
   */
  invalidateTenant (tenantId: string): void {
    this.#generations.bump(tenantId)
  }

  #valid (tenantId: string, entry: Entry | undefined): Entry | undefined {
    return entry !== undefined && entry.generation === this.#generations.of(tenantId) ? entry : undefined
  }
}

function cacheKey (tenantId: string, module: string, id: string): string {
  // INVARIANT: tenant ids and module names contain no NUL, so keys cannot collide.
  return `${tenantId}\u0000${module}\u0000${id}`
}
