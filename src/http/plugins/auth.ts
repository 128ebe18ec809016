/**
 * Authentication and authorization. `protect` makes every route registered after it in
 * its scope authenticate first: an `onRequest` hook, bound to the route's access rule
 * when the route is declared, reads the bearer key, resolves the principal, then applies
 * the rule (default deny: a protected route without a rule answers 403). It runs before
 * the body is parsed, so an unauthenticated caller learns nothing about the validity of
 * its payload.
 *
 * Failed authentications are limited per client: after `failureLimit` refused keys in
 * one window, every request of that client on a protected route answers 429
 * `too_many_failed_authentications` with `retry-after` until the window ends, even with
 * the right key, so that guessing gains nothing from a hit; the check comes before the
 * key is looked up, so a limited client costs no query. A request without any key is not
 * counted (it guesses nothing and costs nothing). The client is the request's IP
 * (`request.ip`: the TCP peer, or with Fastify's `trustProxy` the address the trusted
 * proxies put in `X-Forwarded-For`), an IPv6 client its /64; counting is
 * @fastify/rate-limit's, in this process's memory (each replica counts its own).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import { authorizeRoot, authorizeTenant, decisionTenant } from '../../service/index.js'
import { Lru } from '../../service/lru.js'
import type { Principal } from '../../service/index.js'
import { HttpError } from '../errors.js'
import type { AccessRule } from '../types.js'
import '../types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Protects every route registered after this call in the calling plugin's scope. */
    protect: () => void
  }
}

const ONE_WORD = /^\S+$/

/**
 * The key of an `Authorization` header: `Bearer <key>`, or a bare key (AuthZEN interop
 * harnesses send the key without a scheme). `undefined` when absent or malformed.
 */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  // The usual `Bearer <key>`, without building a match.
  if (header.startsWith('Bearer ')) {
    const token = header.slice(7)
    if (ONE_WORD.test(token)) return token
  }
  const match = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(header)
  return match?.[1]
}

/** Applies the route's rule to the principal: sets the request's tenant, or throws. */
function authorize (request: FastifyRequest, rule: AccessRule | undefined, principal: Principal): void {
  request.principal = principal
  switch (rule?.kind) {
    case 'any':
      return
    case 'root':
      authorizeRoot(principal)
      request.tenantId = (request.params as { tenant?: string }).tenant ?? ''
      return
    case 'tenant': {
      const tenantId = (request.params as { tenant?: string }).tenant ?? ''
      authorizeTenant(principal, tenantId, rule.scope)
      request.tenantId = tenantId
      return
    }
    case 'decision': {
      const header = request.headers['gatehouse-tenant']
      request.tenantId = decisionTenant(principal, typeof header === 'string' ? header : undefined)
      return
    }
    case undefined:
      // INVARIANT: a protected route always declares its access rule.
      throw new HttpError('forbidden', 'this route declares no access rule')
  }
}

export interface AuthOptions {
  /** Failed authentications a client may make per window; 0: no limit. */
  failureLimit: number
  /** The window, in ms. */
  failureWindowMs: number
}

/**
 * Clients whose failures are counted at once, and clients limited at once: the least
 * recently seen is forgotten first (about 100 bytes each).
 */
const CLIENTS = 100_000

/** The client of a request, as @fastify/rate-limit's default key names it. */
function clientOf (request: FastifyRequest): string {
  return normalizeIP(request.ip)
}

export const authPlugin = fp(async function auth (app: FastifyInstance, opts: AuthOptions) {
  app.decorateRequest('principal', null)
  app.decorateRequest('tenantId', '')

  /** Counts a failure of the request's client; the end of the window once the client is at its limit. */
  let countFailure: ((request: FastifyRequest) => Promise<number | undefined>) | undefined
  /**
   * Limited clients → when their window ends (ms since the epoch). Kept beside the counts
   * so that a request is checked without a promise, and while no client is limited, by
   * one size test: the decision path costs what it did. Emptied once the last window
   * ends, so that a client who never comes back does not keep every request looking.
   */
  const limited = new Lru<string, number>(CLIENTS)
  let lastLimitEnds = 0
  if (opts.failureLimit > 0) {
    await app.register(rateLimit, { global: false, max: opts.failureLimit, timeWindow: opts.failureWindowMs, cache: CLIENTS, keyGenerator: clientOf })
    const counter = app.createRateLimit()
    countFailure = async request => {
      const counted = await counter(request)
      // `remaining` is 0 from the `failureLimit`th failure of the window on.
      return counted.isAllowed || counted.remaining > 0 ? undefined : Date.now() + counted.ttl
    }
  }

  /** The error of a client at its limit, with `retry-after`; `undefined` when it is not limited. */
  function limitOf (request: FastifyRequest, reply: FastifyReply): HttpError | undefined {
    const client = clientOf(request)
    const until = limited.get(client)
    if (until === undefined) return undefined
    const seconds = Math.ceil((until - Date.now()) / 1000)
    if (seconds <= 0) {
      limited.delete(client)
      return undefined
    }
    reply.header('retry-after', String(seconds))
    return new HttpError('too_many_failed_authentications', `too many failed authentications from this client: retry in ${seconds} s`)
  }

  /** Ends a refused authentication: counted, then 401. */
  function refuse (request: FastifyRequest, done: HookHandlerDoneFunction, message = 'invalid or revoked key'): void {
    const unauthorized = new HttpError('unauthorized', message)
    if (countFailure === undefined) {
      done(unauthorized)
      return
    }
    countFailure(request).then(until => {
      if (until !== undefined) {
        limited.set(clientOf(request), until)
        lastLimitEnds = Math.max(lastLimitEnds, until)
      }
      done(unauthorized)
    }, done)
  }

  /** Ends authentication: the principal authorized by the rule, or the error. */
  function finish (request: FastifyRequest, rule: AccessRule | undefined, principal: Principal | undefined, done: HookHandlerDoneFunction): void {
    if (principal === undefined) {
      refuse(request, done)
      return
    }
    try {
      authorize(request, rule, principal)
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  }

  /** The hook of a route with `rule`: answers without a promise when the key is already in memory. */
  function authenticateFor (rule: AccessRule | undefined): onRequestHookHandler {
    return function authenticate (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      if (limited.size !== 0) {
        if (Date.now() >= lastLimitEnds) {
          limited.clear()
        } else {
          const limit = limitOf(request, reply)
          if (limit !== undefined) {
            done(limit)
            return
          }
        }
      }
      const header = request.headers.authorization
      const token = bearerToken(header)
      if (token === undefined) {
        if (header === undefined) done(new HttpError('unauthorized', 'missing `authorization` header: send `Bearer <key>`'))
        else refuse(request, done, 'malformed `authorization` header: send `Bearer <key>`')
        return
      }
      const principal = app.services.keys.authenticate(token)
      if (principal instanceof Promise) principal.then(p => { finish(request, rule, p, done) }, done)
      else finish(request, rule, principal, done)
    }
  }

  app.decorate('protect', function protect (this: FastifyInstance): void {
    this.addHook('onRoute', route => {
      const authenticate = authenticateFor(route.config?.access)
      const own = route.onRequest
      route.onRequest = own === undefined ? [authenticate] : [authenticate, ...(Array.isArray(own) ? own : [own])]
    })
  })
}, { name: 'gatehouse-auth', fastify: '5.x', dependencies: ['gatehouse-services', 'gatehouse-errors'] })
