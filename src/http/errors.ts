/**
 * The error catalogue of the HTTP API and the one error handler. Every failure leaves
 * as `{ code, message, details? }` with the catalogue's status: codes are stable wire
 * values (never rename one, add a new one). 5xx bodies are generic; the full error goes
 * to the log with the request id. No response ever carries a stack trace.
 */
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  ConflictError, NotFoundError, RevisionMismatchError, ServiceError, StoreError, StoreUnavailableError
} from '../service/index.js'
import type { ErrorDetail } from '../service/index.js'
import { loggableError, requestFields } from './logger.js'

/** Code → status and the generic sentence used when there is nothing more specific to say. */
export const ERROR_CATALOGUE = {
  validation_failed: { status: 400, message: 'the request is invalid' },
  invalid_json: { status: 400, message: 'the body is not valid JSON' },
  invalid_yaml: { status: 400, message: 'the body is not valid YAML' },
  policy_invalid: { status: 400, message: 'the policy bundle is invalid' },
  unauthorized: { status: 401, message: 'a valid bearer key is required' },
  forbidden: { status: 403, message: 'this key may not do this' },
  tenant_not_found: { status: 404, message: 'no such tenant' },
  not_found: { status: 404, message: 'not found' },
  no_policy: { status: 404, message: 'the tenant has no policy yet' },
  conflict: { status: 409, message: 'the write conflicts with existing data' },
  role_fixed: { status: 409, message: 'a fixed role changes only by a whole-bundle import' },
  revision_mismatch: { status: 412, message: 'the tenant revision does not match `if-match`' },
  request_timeout: { status: 408, message: 'the request was not received in time' },
  payload_too_large: { status: 413, message: 'the body is too large' },
  unsupported_media_type: { status: 415, message: 'unsupported content type: send `application/json`' },
  too_many_failed_authentications: { status: 429, message: 'too many failed authentications from this client: retry after `retry-after` seconds' },
  headers_too_large: { status: 431, message: 'the request headers are too large' },
  internal: { status: 500, message: 'internal error' },
  unavailable: { status: 503, message: 'the service is unavailable, retry later' }
} as const satisfies Record<string, { status: number, message: string }>

export type ErrorCode = keyof typeof ERROR_CATALOGUE
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[]

export interface ErrorBody {
  code: ErrorCode
  message: string
  details?: ErrorDetail[]
}

/** An error the transport raises itself (authentication, headers); mapped by `code`. */
export class HttpError extends Error {
  readonly code: ErrorCode
  readonly details: ErrorDetail[] | undefined

  constructor (code: ErrorCode, message: string = ERROR_CATALOGUE[code].message, details?: ErrorDetail[]) {
    super(message)
    this.name = 'HttpError'
    this.code = code
    this.details = details
  }
}

/** Seconds a client should wait before retrying a 503 (the store reconnects within a few). */
export const RETRY_AFTER_SECONDS = 5

interface Translated {
  status: number
  body: ErrorBody
  headers?: Record<string, string>
  /** Logged at error level with the full error: a bug or an outage, never a client mistake. */
  serious: boolean
}

function entry (code: ErrorCode, message?: string, details?: ErrorDetail[]): Translated {
  const { status } = ERROR_CATALOGUE[code]
  const body: ErrorBody = { code, message: status >= 500 ? ERROR_CATALOGUE[code].message : (message ?? ERROR_CATALOGUE[code].message) }
  if (details !== undefined && details.length > 0 && status < 500) body.details = details
  const t: Translated = { status, body, serious: status >= 500 }
  // Every 503 says when to come back (RFC 9110 §10.2.3), whatever raised it.
  if (status === 503) t.headers = { 'retry-after': String(RETRY_AFTER_SECONDS) }
  return t
}

/** A 400 about the request as a whole part (`in`), with the one detail that names it. */
function partError (code: ErrorCode, part: Part, message: string, detailCode: string): Translated {
  return entry(code, message, [{ in: part, path: '', message, code: detailCode }])
}

interface AjvError {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

type Part = NonNullable<ErrorDetail['in']>

function partOf (context: unknown): Part {
  return context === 'params' || context === 'headers' || context === 'querystring' ? context : 'body'
}

/** One ajv error as a detail naming the field: the path ends at the missing or unknown key. */
function validationDetail (part: Part, e: AjvError): ErrorDetail {
  const base = e.instancePath ?? ''
  const params = e.params ?? {}
  let path = base
  let message = e.message ?? 'is invalid'
  switch (e.keyword) {
    case 'required':
      path = `${base}/${String(params.missingProperty)}`
      message = 'is required'
      break
    case 'additionalProperties':
      path = `${base}/${String(params.additionalProperty)}`
      message = 'is not a known property'
      break
    case 'type':
      message = `must be ${String(params.type)}`
      break
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[] | undefined)?.map(v => `\`${String(v)}\``).join(', ') ?? 'the allowed values'}`
      break
    case 'pattern':
      message = `must match \`${String(params.pattern)}\``
      break
  }
  return { in: part, path, message, code: e.keyword ?? 'invalid' }
}

function describe (detail: ErrorDetail): string {
  const part = detail.in ?? 'body'
  return detail.path === '' ? `${part} ${detail.message}` : `${part} \`${detail.path}\` ${detail.message}`
}

/** Fastify's own request errors (content type, body parsing, limits) by code. */
function translateFastify (err: FastifyError): Translated | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return partError('invalid_json', 'body', 'the body is not valid JSON', 'syntax')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return entry('validation_failed', 'body is required', [{ in: 'body', path: '', message: 'is required', code: 'required' }])
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return entry('unsupported_media_type')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return entry('payload_too_large')
    case 'FST_ERR_BAD_URL':
      return partError('validation_failed', 'params', 'malformed url: a path segment is not valid percent-encoding', 'url')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return partError('validation_failed', 'headers', 'the body size does not match `content-length`', 'content_length')
  }
  if (err.code?.startsWith('FST_') === true) return clientStatusEntry(err)
  return undefined
}

/** An error that carries a 4xx `statusCode` (Fastify's, or a plugin's in its style) as the nearest catalogue entry. */
function clientStatusEntry (err: FastifyError): Translated | undefined {
  const status = err.statusCode
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined
  const code: ErrorCode = status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'validation_failed'
  const message = `${err.message.charAt(0).toLowerCase()}${err.message.slice(1)}`.replace(/\.$/, '')
  return code === 'validation_failed' ? partError(code, 'body', message, typeof err.code === 'string' ? err.code.toLowerCase() : 'invalid') : entry(code, message)
}

/**
 * Whether the client went away before its request was read (an aborted upload, a reset
 * connection): nobody receives the answer, and it is not the service's failure.
 */
function isDisconnect (err: unknown, request: FastifyRequest): boolean {
  const code = (err as { code?: unknown } | null)?.code
  // By the error only: a real failure that happens to meet a closed socket is still logged.
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (request.raw.aborted && (err as { message?: unknown } | null)?.message === 'aborted')
}

/** Maps any thrown value to its catalogue entry. Exported for the tests and the CLI. */
export function translateError (err: unknown): Translated {
  if (err instanceof HttpError) {
    const t = entry(err.code, err.message, err.details)
    if (err.code === 'unauthorized') t.headers = { 'www-authenticate': 'Bearer realm="gatehouse"' }
    return t
  }
  if (err instanceof ServiceError) {
    const t = entry(err.code, err.message, err.details)
    if (err.code === 'unauthorized') t.headers = { 'www-authenticate': 'Bearer realm="gatehouse"' }
    return t
  }
  if (err instanceof RevisionMismatchError) {
    const t = entry('revision_mismatch', err.message)
    if (err.actual > 0) t.headers = { etag: `"${err.actual}"` }
    return t
  }
  if (err instanceof NotFoundError) return entry(err.entity === 'tenant' ? 'tenant_not_found' : 'not_found', err.message)
  if (err instanceof ConflictError) return entry('conflict', err.message)
  if (err instanceof StoreUnavailableError) return entry('unavailable')
  if (err instanceof StoreError) return entry('internal')
  const fastifyError = err as FastifyError & { validation?: AjvError[], validationContext?: string }
  if (typeof fastifyError === 'object' && fastifyError !== null && Array.isArray(fastifyError.validation)) {
    const part = partOf(fastifyError.validationContext)
    const details = fastifyError.validation.map(e => validationDetail(part, e))
    const first = details[0]
    return entry('validation_failed', first === undefined ? undefined : describe(first), details)
  }
  if (typeof fastifyError === 'object' && fastifyError !== null) {
    const t = translateFastify(fastifyError)
    if (t !== undefined) return t
    // A plugin's own 4xx (it set `statusCode`, Fastify-style) is still the client's mistake.
    const client = clientStatusEntry(fastifyError)
    if (client !== undefined) return client
  }
  return entry('internal')
}

/** Sends the error response for `err`; logs 5xx with the full error and the request id. */
export function sendError (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { logger } = request.server
  if (isDisconnect(err, request)) {
    // Not the service's failure: no error line (one per dropped connection would let any
    // client fill the error log); the answer is sent only in case the socket still takes it.
    if (logger.isLevelEnabled('info')) logger.info({ ...requestFields(request), code: (err as { code?: unknown } | null)?.code }, 'the client closed the connection before the request was read')
    return reply.code(400).type('application/json; charset=utf-8').send(partError('validation_failed', 'body', 'the client closed the connection before the request was read', 'aborted').body)
  }
  const validation = err as { validation?: unknown, validationContext?: unknown }
  let t = typeof validation === 'object' && validation !== null && Array.isArray(validation.validation) &&
    validation.validationContext === 'body' && request.body === undefined
    ? entry('validation_failed', 'body is required', [{ in: 'body', path: '', message: 'is required', code: 'required' }])
    : translateError(err)
  // The AuthZEN certification scenario wants a 400 (not a 415) for a non-JSON body on
  // the decision endpoints; the admin routes keep the precise 415.
  if (t.body.code === 'unsupported_media_type' && request.routeOptions.config?.access?.kind === 'decision') {
    const type = request.headers['content-type'] ?? ''
    t = entry('validation_failed', `unsupported content type \`${type}\`: send \`application/json\``, [
      { in: 'headers', path: '/content-type', message: 'must be `application/json`', code: 'content_type' }
    ])
  }
  if (t.serious) {
    logger.error({ ...requestFields(request), err: loggableError(err) }, 'request failed')
  } else if (logger.isLevelEnabled('info')) {
    logger.info({ ...requestFields(request), code: t.body.code, status: t.status }, t.body.message)
  }
  if (t.headers !== undefined) reply.headers(t.headers)
  return reply.code(t.status).type('application/json; charset=utf-8').send(t.body)
}

/** HTTP/1 status lines of the statuses `clientErrorHandler` writes. */
const STATUS_LINES: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (a NUL or other
 * forbidden byte in a header, a malformed request line, headers too large, too slow),
 * which never reaches routing. Answers in the documented error shape, not Fastify's
 * default `{"error":"Bad Request",...}`, and logs nothing above debug: it is the client's
 * problem, and a line per refusal would let anyone fill the log.
 */
export function clientErrorHandler (this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const t = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? entry('request_timeout')
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? entry('headers_too_large')
      : partError('validation_failed', 'headers', 'the request is not valid HTTP/1.1 (a malformed request line or header)', 'http')
  this.logger.debug({ code: err.code, status: t.status }, t.body.message)
  if (!socket.writable) {
    socket.destroy(err)
    return
  }
  const body = JSON.stringify(t.body)
  // `end`, not `destroy`: destroying a socket with unread request bytes resets it, and the
  // client may lose the answer. The timer bounds a client that never closes its side.
  socket.end(`HTTP/1.1 ${t.status} ${STATUS_LINES[t.status] ?? 'Bad Request'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`)
  setTimeout(() => { socket.destroy() }, 1000).unref()
}

/** Installs the error handler and the not-found handler at the root. */
export const errorsPlugin = fp(async function errors (app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply))
  // Instead of Fastify's `return503OnClosing` (a fixed body in its own shape, without
  // Retry-After): a request that arrives while the server drains gets the catalogue's 503.
  let closing = false
  app.addHook('preClose', (done) => { closing = true; done() })
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done()
      return
    }
    reply.header('connection', 'close').header('x-request-id', request.id)
    sendError(new HttpError('unavailable', 'the server is shutting down'), request, reply)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url
    return sendError(new HttpError('not_found', `no route \`${request.method} ${path}\``), request, reply)
  })
}, { name: 'gatehouse-errors', fastify: '5.x', dependencies: ['gatehouse-logging'] })
