/**
 * The use cases shared by the HTTP API and the CLI, wired over one store. Transport code
 * imports from here, never from the engine or the store directly.
 */
import type { Store } from '../store/store.js'
import { AdminService } from './admin.js'
import { DecisionService } from './decisions.js'
import { KeyRing } from './keys.js'
import { ResourceCache } from './resource-cache.js'
import { TenantStates } from './tenant-state.js'

export { authorizeRoot, authorizeTenant, decisionTenant } from './access.js'
export { AdminService, resourceView } from './admin.js'
export type { CreatedKey, ResourceProperties, ResourceView, SubjectBody } from './admin.js'
export { formatBundle, parseYamlText } from './bundle-text.js'
export type { BundleFormat } from './bundle-text.js'
export { DecisionService, EVALUATIONS_SEMANTICS, MAX_ANCESTOR_DEPTH } from './decisions.js'
export type {
  DecisionContext, EvaluationInput, EvaluationItemInput, EvaluationItemResult, EvaluationResult,
  EvaluationsInput, EvaluationsResult
} from './decisions.js'
export * from './errors.js'
export { ensureRootKey, hashSecret, KEY_SCOPES, KeyRing, mintKey, parseKeyToken } from './keys.js'
export type { Principal } from './keys.js'
export { REASON_CODES } from '../engine/reasons.js'
export type { ReasonCode } from '../engine/reasons.js'
export { bundleJsonSchema } from '../engine/index.js'
export type { KeyScope, Store, Tenant, WriteOptions } from '../store/store.js'

export interface ServicesOptions {
  store: Store
  /** `GATEHOUSE_ROOT_KEY`; unset: the stored hash of the generated root key. */
  rootKey: string | undefined
  /** Tenants whose state is kept in memory (default 10,000). */
  maxTenants?: number
  /** Stored resources kept in memory, all tenants together (default 50,000). */
  resourceCacheSize?: number
}

export interface Services {
  readonly store: Store
  readonly keys: KeyRing
  readonly decisions: DecisionService
  readonly admin: AdminService
  readonly states: TenantStates
  readonly resources: ResourceCache
  /** Resolves when the store answers; throws StoreUnavailableError otherwise. */
  ready: () => Promise<void>
}

export function createServices (opts: ServicesOptions): Services {
  const { store } = opts
  const states = new TenantStates({ store, maxTenants: opts.maxTenants })
  const resources = new ResourceCache({ store, size: opts.resourceCacheSize })
  const keys = new KeyRing({ store, rootKey: opts.rootKey })
  return {
    store,
    keys,
    states,
    resources,
    decisions: new DecisionService({ states, resources }),
    admin: new AdminService({ store, states, resources, keyRing: keys }),
    ready: async () => { await store.ping() }
  }
}
