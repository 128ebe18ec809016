/**
 * Schemas shared by every route: the error body, error responses by code, ids, and the
 * headers of tenant routes. Plain JSON Schema objects (`as const`), read by ajv (input),
 * fast-json-stringify (output) and @fastify/swagger (the OpenAPI document).
 */
import { bundleJsonSchema } from '../../service/index.js'
import { ERROR_CATALOGUE, ERROR_CODES } from '../errors.js'
import type { ErrorCode } from '../errors.js'

export const errorResponseSchema = {
  $id: 'ErrorResponse',
  type: 'object',
  description: 'Every failure: a stable code, one sentence, and for input problems the fields at fault',
  required: ['code', 'message'],
  additionalProperties: false,
  properties: {
    code: { type: 'string', enum: ERROR_CODES, description: 'stable lower_snake code; see the response descriptions for the code of each status' },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        additionalProperties: false,
        properties: {
          in: { type: 'string', enum: ['body', 'params', 'headers', 'querystring'] },
          path: { type: 'string', description: 'JSON pointer into the part named by `in`; empty: the whole part' },
          message: { type: 'string' },
          code: { type: 'string' },
          line: { type: 'integer' },
          col: { type: 'integer' }
        }
      }
    }
  }
} as const

/**
 * The policy bundle, as a shared component for the documentation only: the policy
 * routes validate bundles with the engine's `compileBundle`, never with ajv.
 */
export const bundleDocSchema = (() => {
  const { $schema: _schema, $id: _id, ...rest } = bundleJsonSchema as Record<string, unknown>
  return { ...rest, $id: 'Bundle' }
})()

/** The error responses of a route: one entry per status, its description listing the codes. */
export function errorResponses (...codes: ErrorCode[]): Record<number, { description: string, $ref: string }> {
  const byStatus = new Map<number, ErrorCode[]>()
  // Any request can time out, carry headers too large, or meet a bug.
  for (const code of new Set<ErrorCode>([...codes, 'request_timeout', 'headers_too_large', 'internal'])) {
    const status = ERROR_CATALOGUE[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const responses: Record<number, { description: string, $ref: string }> = {}
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[status] = {
      description: list.map(code => `\`${code}\`: ${ERROR_CATALOGUE[code].message}`).join('; '),
      $ref: 'ErrorResponse#'
    }
  }
  return responses
}

/** The error codes every authenticated route can answer. */
export const AUTH_ERRORS: ErrorCode[] = ['unauthorized', 'forbidden', 'too_many_failed_authentications', 'unavailable']
/** The error codes of a route with a JSON body. */
export const BODY_ERRORS: ErrorCode[] = ['validation_failed', 'invalid_json', 'payload_too_large', 'unsupported_media_type']
/** The same on AuthZEN routes, which answer a non-JSON content type with 400 `validation_failed` (certification scenario). */
export const AUTHZEN_BODY_ERRORS: ErrorCode[] = ['validation_failed', 'invalid_json', 'payload_too_large']

/** The largest value of a PostgreSQL `integer` column (revisions): a bound for every number that reaches the database. */
export const MAX_INT4 = 2_147_483_647

/**
 * A pattern for the decimal integers 0..max without leading zeros: query parameters are
 * strings (nothing is coerced), so their bound is written into the pattern, and a number
 * the database cannot hold is a 400 naming the parameter rather than a database error.
 */
export function decimalAtMost (max: number): string {
  const digits = String(max)
  const alternatives = ['0']
  // Every length below max's, without a leading zero.
  if (digits.length > 1) alternatives.push(digits.length === 2 ? '[1-9]' : `[1-9][0-9]{0,${digits.length - 2}}`)
  // Same length: equal to max up to position i, smaller at i, anything after.
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i])
    const low = i === 0 ? 1 : 0
    if (d - 1 < low) continue
    const rest = digits.length - i - 1
    alternatives.push(`${digits.slice(0, i)}[${low}-${d - 1}]${rest > 0 ? `[0-9]{${rest}}` : ''}`)
  }
  alternatives.push(digits)
  return `^(?:${alternatives.join('|')})$`
}

/** Tenant ids: lowercase letters, digits, `-` and `_`, starting with a letter or digit. */
export const TENANT_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$'

export const tenantIdSchema = {
  type: 'string',
  pattern: TENANT_ID_PATTERN,
  description: 'tenant id: lowercase letters, digits, `-` and `_`, at most 63 characters'
} as const

/** An id chosen by the client (subject, resource): any non-empty string up to 256 characters. */
export const clientIdSchema = { type: 'string', minLength: 1, maxLength: 256 } as const

export const tenantParamsSchema = {
  type: 'object',
  required: ['tenant'],
  additionalProperties: false,
  properties: { tenant: tenantIdSchema }
} as const

const ifMatchSchema = {
  type: 'string',
  pattern: '^\\s*(\\*|(W/)?"?[0-9]{1,15}"?)\\s*$',
  description: 'a tenant revision (as in `ETag`): the write happens only if the tenant is still at it, else 412 `revision_mismatch`'
} as const

/** Headers of a write on a tenant route. */
export const writeHeadersSchema = {
  type: 'object',
  properties: {
    'if-match': ifMatchSchema,
    'gatehouse-actor': {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: 'the subject on whose behalf the write is made: the tenant\'s own policy then decides whether it may (docs/admin-rules.md); required by keys created with `actor: required`'
    }
  }
} as const

const etagHeader = { type: 'string', description: 'the tenant revision after the operation, quoted' } as const

/** A success response of a tenant route: the body schema plus the `ETag` header. */
export function withEtag<S extends object> (schema: S, description: string): S & { description: string, headers: { etag: typeof etagHeader } } {
  return { ...schema, description, headers: { etag: etagHeader } }
}
