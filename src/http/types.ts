/**
 * What gatehouse adds to Fastify's types: the services on the instance, the
 * authenticated principal and resolved tenant on the request, and the access rule in a
 * route's `config`.
 */
import type { KeyScope, Principal, Services } from '../service/index.js'

/**
 * Who may call a route (checked right after authentication, before the body is read):
 * - `root`: the root key only;
 * - `tenant`: the tenant of the path (`:tenant`), with the scope;
 * - `decision`: the key's own tenant or, for the root key, the `Gatehouse-Tenant` header;
 * - `any`: any valid key, whatever its tenant and scopes (data common to all tenants).
 */
export type AccessRule =
  | { kind: 'any' }
  | { kind: 'root' }
  | { kind: 'tenant', scope: KeyScope }
  | { kind: 'decision' }

declare module 'fastify' {
  interface FastifyInstance {
    /** The use cases; throws StoreUnavailableError when the app was built without a store. */
    readonly services: Services
  }
  interface FastifyRequest {
    /** Set by authentication on every protected route. */
    principal: Principal | null
    /** The tenant the request acts on, once authorized ('' on public routes). */
    tenantId: string
  }
  interface FastifyContextConfig {
    access?: AccessRule
  }
}
