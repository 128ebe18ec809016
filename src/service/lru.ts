/**
 * A bounded map that forgets a least recently used entry when full, by the "second
 * chance" (CLOCK) rule: a read only marks its entry as used, and eviction walks from the
 * oldest insertion, moving a marked entry to the young end (unmarked) instead of dropping
 * it. A hit is then one `Map.get` and a field write, with no reordering of the map on the
 * hot path of every decision; a cache under churn pays at insertion time instead.
 * `get` counts as a use; `peek` does not; `set` puts its entry at the young end.
 */
interface Slot<V> {
  value: V
  used: boolean
}

export class Lru<K, V> {
  readonly #max: number
  readonly #map = new Map<K, Slot<V>>()
  readonly #onEvict: ((key: K) => void) | undefined
  /**
   * The clock's hand: a live iterator of the map, kept from one eviction to the next.
   * Starting a new walk at every eviction would make each one skip every entry deleted
   * from the front since V8 last compacted the map (about 25 µs per insertion into a full
   * cache of 10,000 under churn, against about 1 µs this way).
   */
  #hand: Iterator<[K, Slot<V>]> | undefined

  /** `onEvict` is told of each entry dropped to make room (not of `delete` or `clear`). */
  constructor (max: number, onEvict?: (key: K) => void) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`lru size must be a positive integer, not ${max}`)
    this.#max = max
    this.#onEvict = onEvict
  }

  get size (): number {
    return this.#map.size
  }

  get (key: K): V | undefined {
    const slot = this.#map.get(key)
    if (slot === undefined) return undefined
    slot.used = true
    return slot.value
  }

  peek (key: K): V | undefined {
    return this.#map.get(key)?.value
  }

  has (key: K): boolean {
    return this.#map.has(key)
  }

  set (key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, { value, used: false })
    while (this.#map.size > this.#max) this.#evictOne(key)
  }

  delete (key: K): boolean {
    return this.#map.delete(key)
  }

  /** Every entry, oldest first; reading them is not a use. */
  * entries (): IterableIterator<[K, V]> {
    for (const [key, slot] of this.#map) yield [key, slot.value]
  }

  clear (): void {
    this.#map.clear()
    this.#hand = undefined
  }

  /**
   * Drops the oldest entry not used since it was last given a second chance, never
   * `spared` (the entry being set: when every other entry was used, the walk would
   * otherwise come to it first; a `spared` the hand has passed waits for the next lap).
   * Terminates: each pass clears the marks it skips, so
   * within two walks of the map an unmarked entry other than `spared` comes up (the map
   * holds at least two entries when it is over a size of at least 1).
   */
  #evictOne (spared: K): void {
    for (;;) {
      let next = this.#hand?.next()
      if (next === undefined || next.done === true) {
        // A finished iterator stays finished, even when entries are added after it: start a new lap.
        this.#hand = this.#map.entries()
        next = this.#hand.next()
        if (next.done === true) return
      }
      const [key, slot] = next.value
      if (key === spared) continue
      this.#map.delete(key)
      if (!slot.used) {
        this.#onEvict?.(key)
        return
      }
      slot.used = false
      this.#map.set(key, slot)
    }
  }
}
