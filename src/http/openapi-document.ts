/**
 * What the route schemas cannot say in the OpenAPI document, added once over the whole
 * generated document (the swagger plugin's `transformObject`, after the examples):
 * - `X-Request-ID` on every operation, as an optional parameter and a response header
 *   (src/http/plugins/request-id.ts keeps the client's or makes one, and always echoes it);
 * - the request body of operations that take none in some uses (`?template=` on the
 *   policy, a tenant created without a name) is not required;
 * - every error response shows an example per code it documents, with that code, so that
 *   `/docs` shows `unauthorized` under 401 and `forbidden` under 403 (a generated sample
 *   would show the first code of the enum, `validation_failed`, everywhere).
 */
import { ERROR_CATALOGUE } from './errors.js'
import type { ErrorCode } from './errors.js'

/** Operations whose body may be left out (the route then defaults it or reads the query). */
export const OPTIONAL_BODY_OPERATIONS: ReadonlySet<string> = new Set(['putPolicy', 'putTenant'])

export const REQUEST_ID_PARAMETER = {
  name: 'X-Request-ID',
  in: 'header',
  required: false,
  description: 'a request id to label this request in the service\'s log and to be echoed in the response (1 to 200 visible ASCII characters); when absent or unusable, the service makes a UUID',
  schema: { type: 'string', minLength: 1, maxLength: 200 }
} as const

export const REQUEST_ID_HEADER = {
  description: 'the request\'s id: the one sent in `X-Request-ID` when usable, else a UUID the service made; it labels every log line of the request',
  schema: { type: 'string' }
} as const

/** An error body's example details, where a code has them. */
const EXAMPLE_DETAILS: Partial<Record<ErrorCode, unknown[]>> = {
  validation_failed: [{ in: 'body', path: '/subject/id', message: 'is required', code: 'required' }]
}

interface Response { description?: string, headers?: Record<string, unknown>, content?: Record<string, { example?: unknown, examples?: Record<string, unknown> }> }
interface Operation { operationId?: string, parameters?: unknown[], requestBody?: { required?: boolean }, responses?: Record<string, Response> }
interface Document { paths?: object, components?: { parameters?: Record<string, unknown>, headers?: Record<string, unknown>, examples?: Record<string, unknown> } }

/** Adds what the module comment lists to a generated document (mutates and returns it). */
export function withOperationDetails<T extends Document> (doc: T): T {
  const components = (doc.components ??= {})
  ;(components.parameters ??= {}).RequestId = REQUEST_ID_PARAMETER
  ;(components.headers ??= {}).RequestId = REQUEST_ID_HEADER
  const examples = (components.examples ??= {})
  for (const methods of Object.values(doc.paths ?? {}) as Array<Record<string, Operation>>) {
    for (const op of Object.values(methods)) {
      op.parameters = [...(op.parameters ?? []), { $ref: '#/components/parameters/RequestId' }]
      if (op.requestBody !== undefined && OPTIONAL_BODY_OPERATIONS.has(op.operationId ?? '')) op.requestBody.required = false
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        response.headers = { ...response.headers, 'X-Request-ID': { $ref: '#/components/headers/RequestId' } }
        if (Number(status) >= 400) addErrorExamples(response, examples)
      }
    }
  }
  return doc
}

/**
 * One example per code the response's description names (`code`: ...), each with its
 * catalogue message, kept once in `components.examples` (named `error_<code>`).
 */
function addErrorExamples (response: Response, components: Record<string, unknown>): void {
  const json = response.content?.['application/json']
  if (json === undefined) return
  const codes = [...(response.description ?? '').matchAll(/`([a-z_]+)`:/g)]
    .map(m => m[1] as ErrorCode)
    .filter(code => code in ERROR_CATALOGUE)
  if (codes.length === 0) return
  json.examples = Object.fromEntries(codes.map(code => {
    const value: Record<string, unknown> = { code, message: ERROR_CATALOGUE[code].message }
    const details = EXAMPLE_DETAILS[code]
    if (details !== undefined) value.details = details
    components[`error_${code}`] = { summary: code, value }
    return [code, { $ref: `#/components/examples/error_${code}` }]
  }))
}
