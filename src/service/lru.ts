/**
 * A bounded map that forgets the least recently used entry when full. `get` counts as
 * a use; `peek` does not. Insertion order of a `Map` is the recency order.
 */
export class Lru<K, V> {
  readonly #max: number
  readonly #map = new Map<K, V>()

  constructor (max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`lru size must be a positive integer, not ${max}`)
    this.#max = max
  }

  get size (): number {
    return this.#map.size
  }

  get (key: K): V | undefined {
    if (!this.#map.has(key)) return undefined
    const value = this.#map.get(key) as V
    this.#map.delete(key)
    this.#map.set(key, value)
    return value
  }

  peek (key: K): V | undefined {
    return this.#map.get(key)
  }

  has (key: K): boolean {
    return this.#map.has(key)
  }

  set (key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }

  delete (key: K): boolean {
    return this.#map.delete(key)
  }

  /** Deletes every entry whose key satisfies `predicate`; walks the whole map. */
  deleteWhere (predicate: (key: K) => boolean): void {
    for (const key of [...this.#map.keys()]) {
      if (predicate(key)) this.#map.delete(key)
    }
  }

  /** Every entry, least recently used first; reading them is not a use. */
  entries (): IterableIterator<[K, V]> {
    return this.#map.entries()
  }

  clear (): void {
    this.#map.clear()
  }
}
