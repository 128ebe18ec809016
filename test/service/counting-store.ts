/** A real store wrapped so that a test can count the calls that reach it (no behaviour changes). */
import type { Store } from '../../src/store/store.js'

export function countingStore (store: Store): { store: Store, calls: string[] } {
  const calls: string[] = []
  const wrapped = new Proxy(store, {
    get (target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(String(name))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  return { store: wrapped, calls }
}
