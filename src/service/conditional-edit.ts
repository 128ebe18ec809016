/**
 * Optimistic read-modify-write of a tenant's stored data, shared by the edits that
 * rewrite a whole document to change a part of it (a role in the bundle, a subject's
 * overrides or groups).
 */
import { RevisionMismatchError, ServiceError } from './errors.js'

/** How many times a write without `If-Match` is retried when another write moved the revision. */
export const MAX_ATTEMPTS = 8

/**
 * Runs `attempt`, which reads the tenant revision first, passes it to `readAt`, then reads
 * what it changes and writes conditionally on that revision. With `ifRevision` (the
 * caller's `If-Match`), the revision read must be the caller's, else ServiceError
 * `revision_mismatch`, and a raced write fails as it is; without, a raced write
 * (RevisionMismatchError) is retried on a fresh read, up to MAX_ATTEMPTS attempts in all.
 */
export async function conditionalEdit<T> (tenantId: string, ifRevision: number | undefined, attempt: (readAt: (revision: number) => void) => Promise<T>): Promise<T> {
  const readAt = (revision: number): void => {
    if (ifRevision !== undefined && ifRevision !== revision) {
      throw new ServiceError('revision_mismatch', `tenant \`${tenantId}\` is at revision ${revision}, not ${ifRevision}`)
    }
  }
  for (let n = 1; ; n++) {
    try {
      return await attempt(readAt)
    } catch (err) {
      if (!(err instanceof RevisionMismatchError) || ifRevision !== undefined || n >= MAX_ATTEMPTS) throw err
    }
  }
}
