/**
 * The ACL facts of resource search (the store's `getSearchFacts`), kept per tenant and
 * module. Reading them scans every ACL-governed resource of the module (241 ms for 20,000
 * of them in docs/benchmarks.md, "Search"), and paging through one result asks for the
 * same facts again and again.
 *
 * An entry is tagged with the tenant state's revision seen before the read. The store is
 * never behind a state that reflects it, so the facts are at least that new, and they
 * serve only searches made at that same revision. Another replica's write moves the
 * state's revision (after the catch-up that applies it), so nothing needs dropping by hand
 * for it. This process's own resource writes call `forget`: the state's revision may lag
 * behind such a write (when it has not yet applied another replica's earlier one), and the
 * caller must still see its own write. A read that raced a `forget` is not kept.
 *
 * Bounded by weight, all tenants together: the resource ids an entry holds, plus one for
 * the entry itself (a module without ACLs holds none); the least recently used entry goes
 * first. Search is not on the decision path, so a plain `Map` reordered on every hit
 * will do.
 */
import type { SearchFacts } from '../engine/index.js'

/** About 50 MB of ids at most: a module with a million ACL-governed resources still fits. */
export const DEFAULT_SEARCH_FACTS_CACHE_SIZE = 1_000_000

interface Entry {
  revision: number
  facts: SearchFacts
  /** The entry's share of the bound: see `weightOf`. */
  weight: number
}

export class SearchFactsCache {
  readonly #maxWeight: number
  /** Keyed `tenant \0 module`; least recently used first. */
  readonly #entries = new Map<string, Entry>()
  #weight = 0
  #forgets = 0

  /** `maxWeight`: the sum of the entries' weights (`weightOf`); 0 keeps nothing. */
  constructor (maxWeight: number) {
    if (!Number.isSafeInteger(maxWeight) || maxWeight < 0) throw new RangeError(`the search facts cache size must be a non-negative integer, not ${maxWeight}`)
    this.#maxWeight = maxWeight
  }

  /** The sum of the weights of the entries held now. */
  get weight (): number {
    return this.#weight
  }

  /**
   * The module's facts for a search at `revision`, the tenant state's: those kept for it,
   * else `load()`ed (the store's `getSearchFacts`) and kept, unless a `forget` came during
   * the read, an entry of a later revision arrived meanwhile, or they alone exceed the bound.
   */
  async read (tenantId: string, module: string, revision: number, load: () => Promise<SearchFacts>): Promise<SearchFacts> {
    const key = keyOf(tenantId, module)
    const kept = this.#entries.get(key)
    if (kept !== undefined && kept.revision === revision) {
      this.#entries.delete(key)
      this.#entries.set(key, kept)
      return kept.facts
    }
    const forgets = this.#forgets
    const facts = await load()
    if (forgets === this.#forgets) this.#keep(key, revision, facts)
    return facts
  }

  /** Forgets the module's facts (this process wrote one of its resources). */
  forget (tenantId: string, module: string): void {
    this.#forgets++
    this.#drop(keyOf(tenantId, module))
  }

  #keep (key: string, revision: number, facts: SearchFacts): void {
    const held = this.#entries.get(key)
    if (held !== undefined && held.revision > revision) return
    const weight = weightOf(facts)
    if (weight > this.#maxWeight) return
    this.#drop(key)
    this.#entries.set(key, { revision, facts, weight })
    this.#weight += weight
    for (const oldest of this.#entries.keys()) {
      if (this.#weight <= this.#maxWeight) break
      this.#drop(oldest)
    }
  }

  #drop (key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#weight -= entry.weight
  }
}

/** Tenant ids (`TENANT_ID_PATTERN`) and module names (`NAME_PATTERN`) hold no NUL. */
function keyOf (tenantId: string, module: string): string {
  return `${tenantId}\0${module}`
}

/** One for the entry, plus the resource ids its groups hold. */
function weightOf (facts: SearchFacts): number {
  let weight = 1
  for (const group of facts.aclGroups) weight += group.ids.length
  return weight
}
