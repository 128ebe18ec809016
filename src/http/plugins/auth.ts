/**
 * Authentication and authorization. `protect` makes every route registered after it in
 * its scope authenticate first: an `onRequest` hook, bound to the route's access rule
 * when the route is declared, reads the bearer key, resolves the principal, then applies
 * the rule (default deny: a protected route without a rule answers 403). It runs before
 * the body is parsed, so an unauthenticated caller learns nothing about the validity of
 * its payload.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { authorizeRoot, authorizeTenant, decisionTenant } from '../../service/index.js'
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

/** Ends authentication: the principal authorized by the rule, or the error. */
function finish (request: FastifyRequest, rule: AccessRule | undefined, principal: Principal | undefined, done: HookHandlerDoneFunction): void {
  if (principal === undefined) {
    done(new HttpError('unauthorized', 'invalid or revoked key'))
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

export const authPlugin = fp(async function auth (app: FastifyInstance) {
  app.decorateRequest('principal', null)
  app.decorateRequest('tenantId', '')

  /** The hook of a route with `rule`: answers without a promise when the key is already in memory. */
  function authenticateFor (rule: AccessRule | undefined): onRequestHookHandler {
    return function authenticate (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
      const header = request.headers.authorization
      const token = bearerToken(header)
      if (token === undefined) {
        done(new HttpError('unauthorized', header === undefined
          ? 'missing `authorization` header: send `Bearer <key>`'
          : 'malformed `authorization` header: send `Bearer <key>`'))
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
