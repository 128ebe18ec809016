/**
 * The failures a use case reports. The transport (`src/http/errors.ts`) maps each code
 * to a status once; the CLI prints the message and the details. Store errors pass
 * through unchanged and are re-exported here, so that callers of the service need not
 * import the store.
 */

export {
  ConflictError, NotFoundError, RevisionMismatchError, StoreError, StoreUnavailableError
} from '../store/errors.js'

export type ServiceErrorCode =
  | 'validation_failed'
  | 'invalid_yaml'
  | 'unauthorized'
  | 'forbidden'
  | 'tenant_not_found'
  | 'not_found'
  | 'revision_mismatch'
  | 'conflict'
  | 'role_fixed'
  | 'policy_invalid'
  | 'no_policy'
  | 'unavailable'

/** One problem with the input, located by a JSON pointer into the part named by `in`. */
export interface ErrorDetail {
  /** JSON pointer (RFC 6901) into the part; `''` is the whole part. */
  path: string
  message: string
  /** Which part of the request: `body` (default), `params`, `headers`, `querystring`. */
  in?: 'body' | 'params' | 'headers' | 'querystring'
  /** A machine code for the problem (an engine issue code, an ajv keyword). */
  code?: string
  /** For syntax errors in a YAML or JSON text: 1-based line and column. */
  line?: number
  col?: number
}

/**
 * "the policy bundle has 2 problems: a (line 3, column 1); b": every problem named, in the
 * order of `details`, each with its place in the text when known, so that a caller who
 * reads only the message still sees all of them.
 */
export function problemsMessage (what: string, details: readonly ErrorDetail[]): string {
  const n = details.length
  const named = details.map(d => d.line === undefined ? d.message : `${d.message} (line ${d.line}, column ${d.col ?? 1})`)
  return `${what} has ${n} ${n === 1 ? 'problem' : 'problems'}: ${named.join('; ')}`
}

/** A use case refused the request; `message` is one lowercase line, user input in backticks. */
export class ServiceError extends Error {
  readonly code: ServiceErrorCode
  readonly details: ErrorDetail[] | undefined

  constructor (code: ServiceErrorCode, message: string, details?: ErrorDetail[]) {
    super(message)
    this.name = 'ServiceError'
    this.code = code
    this.details = details
  }
}

/** A validation failure naming every issue, with paths made relative to the request part. */
export function validationFailed (message: string, details: ErrorDetail[]): ServiceError {
  return new ServiceError('validation_failed', message, details)
}
