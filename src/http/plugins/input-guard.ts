/**
 * What every request must satisfy before any route sees it, checked in one place rather
 * than on each route's schema, so that a new route cannot forget it:
 *
 * - Every string (values and object keys) of every part (path parameters, query string,
 *   headers, body) is well-formed Unicode without U+0000. PostgreSQL refuses both (a NUL
 *   in `text`, a lone surrogate or `\u0000` escape in `jsonb`), so they would otherwise
 *   reach the store and come back as a 500.
 * - A body nests at most MAX_BODY_DEPTH levels: services that walk a body recursively
 *   (the search page-token digest, the engine's filters) then cannot overflow the stack.
 * - A route that declares no query parameters accepts none: an unknown parameter is a
 *   400 naming it, never ignored (a key pasted into the URL is refused, not served).
 *
 * The hook runs at `preValidation`: after authentication (an anonymous caller learns
 * nothing about its input) and before the route's schema.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { ErrorDetail } from '../../service/index.js'
import { HttpError } from '../errors.js'

/** Deeper than any bundle, filter or suite gatehouse reads; far below a stack overflow. */
export const MAX_BODY_DEPTH = 64

type Part = NonNullable<ErrorDetail['in']>

/** `String.prototype.isWellFormed` (Node 20; not yet in TypeScript's ES2023 lib): native, and the fastest test. */
function isWellFormed (s: string): boolean {
  return (s as string & { isWellFormed: () => boolean }).isWellFormed()
}

/** Why `s` cannot be stored, or undefined when it can. */
export function stringProblem (s: string): { message: string, code: string } | undefined {
  if (s.includes('\u0000')) return { message: 'must not contain U+0000 (NUL)', code: 'nul_character' }
  if (!isWellFormed(s)) return { message: 'must be well-formed Unicode (it has an unpaired surrogate)', code: 'lone_surrogate' }
  return undefined
}

/** A JSON pointer token (RFC 6901), with characters the error body should not echo replaced. */
function token (key: string): string {
  const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1')
  // eslint-disable-next-line no-control-regex
  return stringProblem(escaped) === undefined ? escaped : escaped.replace(/[\u0000\ud800-\udfff]/g, '\ufffd')
}

interface Found { message: string, code: string, /** The path's tokens, innermost first. */ tokens: string[] }

/**
 * The first problem in `value`, or undefined. `limit`: the depth allowed below `value`.
 * The path is built only on the way back from a problem: the common case allocates nothing.
 */
function find (value: unknown, limit: number): Found | undefined {
  if (typeof value === 'string') {
    const problem = stringProblem(value)
    return problem === undefined ? undefined : { ...problem, tokens: [] }
  }
  if (typeof value !== 'object' || value === null) return undefined
  if (limit <= 0) return { message: `nests deeper than ${MAX_BODY_DEPTH} levels`, code: 'depth', tokens: [] }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], limit - 1)
      if (found !== undefined) {
        found.tokens.push(String(i))
        return found
      }
    }
    return undefined
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    const keyProblem = stringProblem(key)
    if (keyProblem !== undefined) return { message: `has a key that ${keyProblem.message}`, code: keyProblem.code, tokens: [key] }
    const found = find((value as Record<string, unknown>)[key], limit - 1)
    if (found !== undefined) {
      found.tokens.push(key)
      return found
    }
  }
  return undefined
}

/**
 * The first problem in `value` (a part of the request) as an error detail naming it;
 * undefined when there is none. `limit`: the depth allowed below `value` (Infinity for
 * parts that cannot nest). Recursion stays shallow: it stops at `limit`.
 */
export function inputProblem (value: unknown, part: Part, limit: number): ErrorDetail | undefined {
  const found = find(value, limit)
  if (found === undefined) return undefined
  const path = found.tokens.reverse().map(t => `/${token(t)}`).join('')
  return { in: part, path, message: found.message, code: found.code }
}

function describe (detail: ErrorDetail): string {
  return detail.path === '' ? `${detail.in ?? 'body'} ${detail.message}` : `${detail.in ?? 'body'} \`${detail.path}\` ${detail.message}`
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by the JSON body parser: the body's text has no `\u` escape, so none of its
     * strings can hold a NUL or a lone surrogate (`escapeFreeJson`), and only its depth is
     * left to check.
     */
    bodyEscapeFree: boolean
  }
}

/**
 * Whether JSON text `text` has no `\u` escape. Then none of the strings it parses to
 * can fail `stringProblem`: a raw U+0000 is not valid JSON, and the text is decoded from
 * UTF-8, where a lone surrogate cannot be encoded (the decoder gives U+FFFD for one), so
 * either can only come from an escape. A `\\u` (an escaped backslash) answers false, and
 * the body is walked as any other.
 */
export function escapeFreeJson (text: string): boolean {
  return !text.includes('\\u')
}

/** Whether `value` nests deeper than `limit` levels below it (what `find` checks besides strings). */
function tooDeep (value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  if (limit <= 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (tooDeep(value[i], limit - 1)) return true
    return false
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && tooDeep((value as Record<string, unknown>)[key], limit - 1)) return true
  }
  return false
}

/** Throws a `validation_failed` naming the first unstorable string or over-deep body of the request. */
export function checkRequestInput (request: FastifyRequest): void {
  const body = request.body
  const detail =
    inputProblem(request.params, 'params', Infinity) ??
    inputProblem(request.query, 'querystring', Infinity) ??
    inputProblem(request.headers, 'headers', Infinity) ??
    // An escape-free body's only possible problem is its depth: walked for strings only then, the same first problem is named.
    (request.bodyEscapeFree && !tooDeep(body, MAX_BODY_DEPTH) ? undefined : inputProblem(body, 'body', MAX_BODY_DEPTH))
  if (detail !== undefined) throw new HttpError('validation_failed', describe(detail), [detail])
}

/** Query parameters of a route that declares none: none at all. */
const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const

export const inputGuardPlugin = fp(async function inputGuard (app: FastifyInstance) {
  app.decorateRequest('bodyEscapeFree', false)
  app.addHook('onRoute', route => {
    const schema = route.schema as ({ hide?: boolean, querystring?: unknown } & Record<string, unknown>) | undefined
    // Hidden routes are the documentation UI's static files, not the API.
    if (schema?.hide === true || schema?.querystring !== undefined) return
    route.schema = { ...schema, querystring: NO_QUERY }
  })
  // A callback hook, not an async one: no promise per request.
  app.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    try {
      checkRequestInput(request)
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  })
}, { name: 'gatehouse-input-guard', fastify: '5.x', dependencies: ['gatehouse-errors'] })
