/**
 * What went wrong talking to gatehouse. Searches and admin calls throw it; decisions
 * never throw it but carry it on their fail-closed deny (`Decision.error`).
 */

/**
 * `unavailable`: no answer (network error, timeout, or 503 after every retry).
 * `refused`: gatehouse answered an error (4xx, or a 5xx other than 503); `code` is its error code.
 * `invalid_response`: an answer that is not the JSON the API documents.
 */
export type GatehouseErrorKind = 'unavailable' | 'refused' | 'invalid_response'

export class GatehouseError extends Error {
  readonly kind: GatehouseErrorKind
  /** The HTTP status, when gatehouse answered. */
  readonly status: number | undefined
  /** gatehouse's error code (`no_policy`, `validation_failed`...), when it answered one. */
  readonly code: string | undefined
  /** gatehouse's `details` (each names a field and why), when it answered them. */
  readonly details: unknown[]
  /** How many requests were sent (retries included). */
  readonly attempts: number

  constructor (kind: GatehouseErrorKind, message: string, opts: { status?: number, code?: string, details?: unknown[], attempts: number, cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'GatehouseError'
    this.kind = kind
    this.status = opts.status
    this.code = opts.code
    this.details = opts.details ?? []
    this.attempts = opts.attempts
  }
}
