/**
 * Who may do what. Default deny: the root key may do everything; a tenant key only
 * reaches its own tenant, and only with the scope the operation needs.
 */
import type { KeyScope } from '../store/store.js'
import { ServiceError } from './errors.js'
import type { Principal } from './keys.js'

/** Throws ServiceError `forbidden` unless the principal may act on `tenantId` with `scope`. */
export function authorizeTenant (principal: Principal, tenantId: string, scope: KeyScope): void {
  if (principal.kind === 'root') return
  if (principal.tenantId !== tenantId) {
    throw new ServiceError('forbidden', `this key is bound to another tenant than \`${tenantId}\``)
  }
  if (!principal.scopes.includes(scope)) {
    throw new ServiceError('forbidden', `this key lacks the \`${scope}\` scope`)
  }
}

/** Throws ServiceError `forbidden` unless the principal is the root key. */
export function authorizeRoot (principal: Principal): void {
  if (principal.kind !== 'root') throw new ServiceError('forbidden', 'only the root key may do this')
}

/**
 * The tenant a decision call is about: the key's own tenant, or, for the root key, the
 * one named by the `Gatehouse-Tenant` header. A tenant key naming another tenant is
 * refused; the root key naming none is a validation failure.
 */
export function decisionTenant (principal: Principal, named: string | undefined): string {
  if (principal.kind === 'root') {
    if (named === undefined) {
      throw new ServiceError('validation_failed', 'header `gatehouse-tenant` is required with the root key', [
        { in: 'headers', path: '/gatehouse-tenant', message: 'is required with the root key', code: 'required' }
      ])
    }
    return named
  }
  const tenantId = named ?? principal.tenantId
  authorizeTenant(principal, tenantId, 'check')
  return tenantId
}
