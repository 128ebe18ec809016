/**
 * The ACL facts of resource search (the store's `getSearchFacts`), kept per tenant and
 * module. Reading them scans every ACL-governed resource of the module (about 165 ms of a
 * 202 ms page for 20,000 of them in docs/benchmarks.md, "Search"), and paging through one
 * result asks for the same facts again and again.
 *
 * An entry is tagged with the tenant state's revision seen before the read. The store is
 * never behind a state that reflects it, so the facts are at least that new, and they
 * serve only searches made at that same revision. Another replica's write moves the
 * state's revision (after the catch-up that applies it). Every resource write, this
 * process's or another's, also makes it `forget` the module (src/service/apply.ts): the
 * state's revision may lag behind this process's own write (when it has not yet applied
 * another replica's earlier one), and the caller must still see its own write. A read
 * that raced a `forget` is not kept.
 *
 * Bounded by the heap its entries take, estimated from their shape (`bytesOf`), all
 * tenants together; the least recently used entry goes first. Search is not on the
 * decision path, so a plain `Map` reordered on every hit will do.
 */
import type { SearchFacts } from '../engine/index.js'
import { cacheCounts } from './tallies.js'

/** Enough for a module of a million ACL-governed resources in shared folders (40 MB). */
export const DEFAULT_SEARCH_FACTS_MB = 64

interface Entry {
  revision: number
  facts: SearchFacts
  /** Estimated heap bytes: see `bytesOf`. */
  bytes: number
}

export class SearchFactsCache {
  readonly #maxBytes: number
  /** Keyed `tenant \0 module`; least recently used first. */
  readonly #entries = new Map<string, Entry>()
  #bytes = 0
  #forgets = 0
  /** Facts served from memory (hits), or read from the store (misses). */
  readonly counts = cacheCounts()

  /** `maxBytes`: estimated heap bytes of all entries (`bytesOf`); 0 keeps nothing. */
  constructor (maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`the search facts cache size must be a non-negative integer, not ${maxBytes}`)
    this.#maxBytes = maxBytes
  }

  /** Estimated heap bytes of the entries held now. */
  get bytes (): number {
    return this.#bytes
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
      this.counts.hits++
      this.#entries.delete(key)
      this.#entries.set(key, kept)
      return kept.facts
    }
    const forgets = this.#forgets
    this.counts.misses++
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
    const bytes = bytesOf(facts)
    if (bytes > this.#maxBytes) return
    this.#drop(key)
    this.#entries.set(key, { revision, facts, bytes })
    this.#bytes += bytes
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) break
      this.#drop(oldest)
    }
  }

  #drop (key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
  }
}

/** Tenant ids (`TENANT_ID_PATTERN`) and module names (`NAME_PATTERN`) hold no NUL. */
function keyOf (tenantId: string, module: string): string {
  return `${tenantId}\0${module}`
}

/**
 * The heap an entry takes, estimated: measured on Node 20 (x64) with facts shaped as the
 * driver returns them, about 40 bytes per resource id, 145 per group (its object, holder,
 * project and id list) and 105 per ACL entry; 100 for the entry and its key.
 */
export function bytesOf (facts: SearchFacts): number {
  let bytes = 100
  for (const group of facts.aclGroups) bytes += 145 + 40 * group.ids.length + 105 * group.entries.length
  return bytes
}
