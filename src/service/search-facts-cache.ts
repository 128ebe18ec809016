/**
 * The ACL facts of resource search (the store's `getSearchFacts`: whether the module holds
 * ACLs, and the distinct conditions of their entries), kept per tenant and module. They
 * are two index lookups, but every page of a result asks for them, and a module whose
 * ACL entries carry conditions walks their distinct texts.
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

/** Far more than facts take: a few hundred bytes per module, plus the text of each distinct ACL-entry condition. */
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
 * The heap an entry takes, estimated: 150 bytes for the entry, its key and facts object,
 * and per condition a string's header (40) and its UTF-16 text.
 */
export function bytesOf (facts: SearchFacts): number {
  let bytes = 150
  for (const text of facts.aclConditions) bytes += 40 + 2 * text.length
  return bytes
}
