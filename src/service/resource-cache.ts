/**
 * A bounded cache of stored resources, shared by every tenant, in front of the store.
 * Absent resources are cached too (as `null`): AuthZEN clients check ids that no one
 * stored, and those checks must not query the store each time. Every resource write,
 * this process's or another replica's, makes it forget the entry (src/service/apply.ts);
 * a read that raced a forget is returned but not kept.
 */
import type { ResourceFacts } from '../engine/model.js'
import type { Store } from '../store/store.js'
import { Lru } from './lru.js'
import { cacheCounts } from './tallies.js'
import { TenantGenerations } from './tenant-generations.js'

interface Entry {
  readonly facts: ResourceFacts | null
  /** The tenant's generation when the entry was placed: an entry of an older one is void. */
  readonly generation: number
}

/** One resource's place in the cache: the object the LRU is keyed by. */
interface Key {
  readonly tenantId: string
  readonly module: string
  readonly id: string
}

export class ResourceCache {
  readonly #store: Store
  readonly #entries: Lru<Key, Entry>
  /**
   * tenant → module → id → key, holding exactly the keys in `#entries`. A lookup walks
   * these maps instead of joining the three names into one string, which costs more than
   * the lookups themselves on every decision (and on each ancestor).
   */
  readonly #keys = new Map<string, Map<string, Map<string, Key>>>()
  readonly #generations = new TenantGenerations()
  /** How many single entries were forgotten: a read that saw it change may have read a stale resource. */
  #forgotten = 0
  /** Resources known from memory (hits, absent ones included), or read from the store (misses). */
  readonly counts = cacheCounts()

  constructor (opts: { store: Store, size?: number }) {
    this.#store = opts.store
    this.#entries = new Lru(opts.size ?? 50_000, key => { this.#unindex(key) })
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
    const key = this.#find(tenantId, module, id)
    if (key === undefined) return undefined
    const hit = this.#entries.get(key)
    if (hit === undefined || hit.generation !== this.#generations.of(tenantId)) return undefined
    this.counts.hits++
    return hit.facts
  }

  /** Reads the resource from the store and caches what it read. */
  async load (tenantId: string, module: string, id: string): Promise<ResourceFacts | undefined> {
    const generation = this.#generations.of(tenantId)
    const forgotten = this.#forgotten
    this.counts.misses++
    const facts = await this.#store.getResource(tenantId, module, id)
    // Placed with the generation read before the query, so that a tenant invalidated
    // meanwhile voids it; not placed at all when an entry was forgotten meanwhile (it may
    // be this one, and what was read may predate the write that made it forgotten).
    if (forgotten === this.#forgotten && this.#valid(tenantId, this.#current(tenantId, module, id)) === undefined) {
      this.#entries.set(this.#keyOf(tenantId, module, id), { facts: facts ?? null, generation })
    }
    return facts
  }

  /** Forgets one resource (a write changed it, src/service/apply.ts): its next use reads the store. */
  forget (tenantId: string, module: string, id: string): void {
    this.#forgotten++
    const key = this.#find(tenantId, module, id)
    if (key === undefined) return
    this.#entries.delete(key)
    this.#unindex(key)
  }

  /** Forgets every resource (after notifications were lost: of tenants not in memory, nothing else would). */
  clear (): void {
    this.#forgotten++
    this.#entries.clear()
    this.#keys.clear()
  }

  /**
   * Forgets every resource of a tenant (after another process changed it), in constant
   * time: its entries become void and age out of the cache like any other.
   */
  invalidateTenant (tenantId: string): void {
    this.#generations.bump(tenantId)
  }

  /** The entry of a resource, without counting as a use. */
  #current (tenantId: string, module: string, id: string): Entry | undefined {
    const key = this.#find(tenantId, module, id)
    return key === undefined ? undefined : this.#entries.peek(key)
  }

  /** The key of a resource in the cache, if any. */
  #find (tenantId: string, module: string, id: string): Key | undefined {
    return this.#keys.get(tenantId)?.get(module)?.get(id)
  }

  #valid (tenantId: string, entry: Entry | undefined): Entry | undefined {
    return entry !== undefined && entry.generation === this.#generations.of(tenantId) ? entry : undefined
  }

  /** The key of a resource, made and indexed if it has none. */
  #keyOf (tenantId: string, module: string, id: string): Key {
    let modules = this.#keys.get(tenantId)
    if (modules === undefined) this.#keys.set(tenantId, modules = new Map())
    let ids = modules.get(module)
    if (ids === undefined) modules.set(module, ids = new Map())
    let key = ids.get(id)
    if (key === undefined) ids.set(id, key = { tenantId, module, id })
    return key
  }

  /** Removes a key no longer in the LRU from the index, and the maps it leaves empty. */
  #unindex (key: Key): void {
    const modules = this.#keys.get(key.tenantId)
    const ids = modules?.get(key.module)
    if (modules === undefined || ids === undefined) return
    ids.delete(key.id)
    if (ids.size > 0) return
    modules.delete(key.module)
    if (modules.size === 0) this.#keys.delete(key.tenantId)
  }
}
