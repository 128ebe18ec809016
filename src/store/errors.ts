/**
 * The errors that leave the store: a small, closed set, created only here. Driver and
 * drizzle errors never escape: `toStoreError` maps them, keeping the original as
 * `cause`. (A `DrizzleQueryError`'s message carries the SQL and its parameters, so it
 * must never reach a response body or an info-level log line; `cause` is for the
 * error-level log only.)
 *
 * Intended HTTP mapping (done once, in `src/http/errors.ts`):
 * - NotFoundError: 404 `<entity>_not_found`
 * - ConflictError: 409 (`alias_conflict`, `duplicate`)
 * - RevisionMismatchError: 412 `revision_mismatch`
 * - StoreUnavailableError: 503 `store_unavailable`
 * - StoreError with kind `internal`: 500 `internal`, generic message
 */

export type StoreErrorKind = 'not_found' | 'conflict' | 'revision_mismatch' | 'unavailable' | 'internal'

/**
 * Base of every store error. Thrown as such only for kind `internal`: a database error
 * that no rule below maps, which is a bug (or a schema drift), never a user error.
 */
export class StoreError extends Error {
  /** The class variant. */
  readonly kind: StoreErrorKind
  /** A stable lower_snake code the transport may put on the wire. */
  readonly code: string

  constructor (kind: StoreErrorKind, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreError'
    this.kind = kind
    this.code = code
  }
}

export type StoreEntity = 'tenant' | 'subject' | 'group' | 'resource' | 'key'

/** The tenant, or the thing a write or delete names within it, does not exist. */
export class NotFoundError extends StoreError {
  declare readonly kind: 'not_found'
  readonly entity: StoreEntity
  readonly id: string

  constructor (entity: StoreEntity, id: string, options?: { cause?: unknown }) {
    super('not_found', `${entity}_not_found`, `${entity} \`${id}\` not found`, options)
    this.name = 'NotFoundError'
    this.entity = entity
    this.id = id
  }
}

export type ConflictCode = 'alias_conflict' | 'duplicate'

/** A unique name is taken: an alias or subject id already used in the tenant, a key id. */
export class ConflictError extends StoreError {
  declare readonly kind: 'conflict'
  declare readonly code: ConflictCode

  constructor (code: ConflictCode, message: string, options?: { cause?: unknown }) {
    super('conflict', code, message, options)
    this.name = 'ConflictError'
  }
}

/** A write carried `ifRevision` and the tenant has moved on; nothing was written. */
export class RevisionMismatchError extends StoreError {
  declare readonly kind: 'revision_mismatch'
  readonly tenantId: string
  readonly expected: number
  /** The tenant's current revision (0: the tenant does not exist). */
  readonly actual: number

  constructor (tenantId: string, expected: number, actual: number) {
    super('revision_mismatch', 'revision_mismatch', `tenant \`${tenantId}\` is at revision ${actual}, not ${expected}`)
    this.name = 'RevisionMismatchError'
    this.tenantId = tenantId
    this.expected = expected
    this.actual = actual
  }
}

/** The database cannot be reached or keeps aborting the transaction; retrying later may work. */
export class StoreUnavailableError extends StoreError {
  declare readonly kind: 'unavailable'

  constructor (message: string, options?: { cause?: unknown }) {
    super('unavailable', 'store_unavailable', message, options)
    this.name = 'StoreUnavailableError'
  }
}

// SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html)
const UNIQUE_VIOLATION = '23505'
const RETRYABLE = new Set(['40001', '40P01']) // serialization_failure, deadlock_detected
const UNAVAILABLE = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300' // too_many_connections
])
// Socket errors of node-postgres (a Node system error code, not a SQLSTATE).
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'])
// Connection-level errors of node-postgres and pg-pool, which carry no code at all.
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end on the pool',
  'PGlite is closed'
]

interface DriverError { code?: unknown, message?: unknown, cause?: unknown }

/** Walks the `cause` chain (drizzle wraps the driver error) and returns the errors in it. */
function causeChain (err: unknown): DriverError[] {
  const chain: DriverError[] = []
  let e: unknown = err
  while (typeof e === 'object' && e !== null && chain.length < 8) {
    chain.push(e as DriverError)
    e = (e as DriverError).cause
  }
  return chain
}

/** The SQLSTATE of a database error, if the error (or one of its causes) is one. */
export function sqlState (err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !SOCKET_ERRORS.has(e.code)) return e.code
  }
  return undefined
}

/** True when the whole transaction may simply be run again (serialization failure, deadlock). */
export function isRetryable (err: unknown): boolean {
  const state = sqlState(err)
  return state !== undefined && RETRYABLE.has(state)
}

function isConnectionError (err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (typeof e.code === 'string' && SOCKET_ERRORS.has(e.code)) return true
    if (typeof e.message === 'string' && CONNECTION_MESSAGES.some(m => (e.message as string).startsWith(m))) return true
  }
  return false
}

/**
 * Maps any error thrown while talking to the database to a StoreError, keeping the
 * original as `cause`. StoreErrors pass through unchanged. Called with an error that
 * was still retryable after the last attempt, it gives StoreUnavailableError.
 */
export function toStoreError (err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const state = sqlState(err)
  if (state === UNIQUE_VIOLATION) {
    return new ConflictError('duplicate', 'a record with the same id already exists', { cause: err })
  }
  if (state !== undefined && (RETRYABLE.has(state) || UNAVAILABLE.has(state) || state.startsWith('08'))) {
    return new StoreUnavailableError('the database is unavailable', { cause: err })
  }
  if (state === undefined && isConnectionError(err)) {
    return new StoreUnavailableError('the database is unavailable', { cause: err })
  }
  return new StoreError('internal', 'internal', state === undefined ? 'unexpected store error' : `unexpected database error (sqlstate ${state})`, { cause: err })
}
