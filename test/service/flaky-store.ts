/** A real store wrapped so that a test can make some of its methods fail as a database outage would. */
import { StoreUnavailableError } from '../../src/store/errors.js'
import type { Store } from '../../src/store/store.js'

export interface FlakyStore {
  store: Store
  /** Methods that throw StoreUnavailableError while set (the others keep working). */
  failing: Set<keyof Store>
}

export function flakyStore (store: Store): FlakyStore {
  const failing = new Set<keyof Store>()
  const wrapped = new Proxy(store, {
    get (target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        if (failing.has(name as keyof Store)) throw new StoreUnavailableError('the database is unavailable')
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
      }
    }
  })
  return { store: wrapped, failing }
}

/** What a refresh of a tenant state reads. */
export const REFRESH_READS: ReadonlyArray<keyof Store> = ['getRevisions', 'listAudit', 'getTenant', 'getPolicy', 'listSubjects']
