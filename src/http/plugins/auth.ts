/**
 * Authentication and authorization. `authenticate` is the `onRequest` hook of every
 * protected route: it reads the bearer key, resolves the principal, then applies the
 * route's access rule (default deny: a protected route without a rule answers 403).
 * It runs before the body is parsed, so an unauthenticated caller learns nothing about
 * the validity of its payload.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { authorizeRoot, authorizeTenant, decisionTenant } from '../../service/index.js'
import { HttpError } from '../errors.js'
import '../types.js'

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

/**
 * The key of an `Authorization` header: `Bearer <key>`, or a bare key (AuthZEN interop
 * harnesses send the key without a scheme). `undefined` when absent or malformed.
 */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(header)
  return match?.[1]
}

export const authPlugin = fp(async function auth (app: FastifyInstance) {
  app.decorateRequest('principal', null)
  app.decorateRequest('tenantId', '')

  app.decorate('authenticate', async function authenticate (request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization
    const token = bearerToken(header)
    if (token === undefined) {
      throw new HttpError('unauthorized', header === undefined
        ? 'missing `authorization` header: send `Bearer <key>`'
        : 'malformed `authorization` header: send `Bearer <key>`')
    }
    const principal = await app.services.keys.authenticate(token)
    if (principal === undefined) throw new HttpError('unauthorized', 'invalid or revoked key')
    request.principal = principal

    const rule = request.routeOptions.config.access
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
  })
}, { name: 'gatehouse-auth', fastify: '5.x', dependencies: ['gatehouse-services', 'gatehouse-errors'] })
