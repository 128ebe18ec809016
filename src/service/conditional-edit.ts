/**
 * Read-modify-write of a tenant's stored data, shared by the edits that rewrite a whole
 * document to change a part of it (a role in the bundle, a subject's overrides).
 *
 * The edit runs under the tenant's row lock (`Store.editTenant`): its reads and its write
 * serialize with every other write of the tenant, so concurrent edits queue instead of
 * racing. An optimistic read-then-conditional-write with a bounded retry let a request
 * without `If-Match` fail with 412 under contention (20 parallel role edits on
 * PostgreSQL: 10 got `revision_mismatch`); a request without a precondition never does
 * now. `If-Match` is checked against the revision read under the lock, so a stale one is
 * still a 412 that writes nothing.
 */
import type { EditStore, Store } from '../store/store.js'
import { NotFoundError, ServiceError } from './errors.js'

/**
 * Runs `edit` under the tenant's lock with the tenant's revision. With `ifRevision` (the
 * caller's `If-Match`), that revision must be the caller's, else ServiceError
 * `revision_mismatch` and nothing is written. An unknown tenant is ServiceError
 * `tenant_not_found`. What `edit` writes through `tx` commits when it resolves.
 */
export async function conditionalEdit<T> (store: Store, tenantId: string, ifRevision: number | undefined, edit: (tx: EditStore, revision: number) => Promise<T>): Promise<T> {
  try {
    return await store.editTenant(tenantId, async (tx, revision) => {
      if (ifRevision !== undefined && ifRevision !== revision) {
        throw new ServiceError('revision_mismatch', `tenant \`${tenantId}\` is at revision ${revision}, not ${ifRevision}`)
      }
      return await edit(tx, revision)
    })
  } catch (err) {
    if (err instanceof NotFoundError && err.entity === 'tenant') throw new ServiceError('tenant_not_found', `tenant \`${tenantId}\` not found`)
    throw err
  }
}
