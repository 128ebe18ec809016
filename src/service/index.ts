/**
 * The use cases shared by the HTTP API and the CLI, wired over one store. Transport code
 * imports from here, never from the engine or the store directly.
 */
import type { Store } from '../store/store.js'
import { StoreUnavailableError } from '../store/errors.js'
import { ServiceError } from './errors.js'
import { AdminService } from './admin.js'
import { Background } from './background.js'
import type { BackgroundLog } from './background.js'
import { DecisionService } from './decisions.js'
import { KeyRing } from './keys.js'
import { AuditService } from './audit.js'
import { DirectoryService } from './directory.js'
import { PolicyPartsService } from './policy-parts.js'
import { PolicyToolsService } from './policy-tools.js'
import { ResourceCache } from './resource-cache.js'
import { SearchService } from './search.js'
import { DEFAULT_SEARCH_FACTS_MB, SearchFactsCache } from './search-facts-cache.js'
import { Propagation } from './propagation.js'
import { DecisionTally } from './tallies.js'
import type { CacheCounts } from './tallies.js'
import { TenantStates } from './tenant-state.js'
import { PolicyWorkers } from './policy-workers.js'
import type { PolicyWorkersOptions } from './policy-workers.js'

export { authorizeRoot, authorizeTenant, decisionTenant } from './access.js'
export { AdminService, resourceView } from './admin.js'
export type { CreatedKey, KeyView, ResourcePage, ResourceProperties, ResourceView, SubjectBody } from './admin.js'
export { PolicyToolsService } from './policy-tools.js'
export { PolicyPartsService } from './policy-parts.js'
export type { PolicyPart } from './policy-parts.js'
export { DEFAULT_SUBJECT_PAGE, DirectoryService, MAX_SUBJECT_PAGE, permissionsCsv } from './directory.js'
export type { GroupView, SubjectFilter } from './directory.js'
export { AuditService, DEFAULT_AUDIT_PAGE } from './audit.js'
export type { AuditFilter } from './audit.js'
export type { DraftInput, PolicyTestCase, PolicyTestReport, SuiteInput, TemplateSummary } from './policy-tools.js'
export { suiteJsonSchema } from './policy-tests/index.js'
export { formatDiffMarkdown, policyDiffJsonSchema } from './policy-diff/index.js'
export type { PolicyDiff } from './policy-diff/index.js'
export { formatBundle, parseYamlText } from './bundle-text.js'
export { parseSourceOffLoop, parseYamlOffLoop } from './yaml-parse.js'
export type { BundleFormat } from './bundle-text.js'
export { DecisionService, EVALUATIONS_SEMANTICS } from './decisions.js'
export { DEFAULT_POLL_MS, Propagation } from './propagation.js'
export { Background, DEFAULT_STALE_AFTER_MS } from './background.js'
export { PolicyWorkers } from './policy-workers.js'
export type { PolicyWorkersOptions } from './policy-workers.js'
export { WORKER_FAILURE_KINDS } from './worker-pool.js'
export type { BackgroundCounters, BackgroundLog } from './background.js'
export { MAX_SEARCH_LIMIT, SearchService } from './search.js'
export { Buckets, DECISION_REASONS, DecisionTally, OTHER_MODULES, UNKNOWN_MODULE } from './tallies.js'
export type { CacheCounts, DecisionCount } from './tallies.js'
export type { ActionSearchInput, ResourceSearchInput, SubjectSearchInput } from './search.js'
export type {
  DecisionContext, EvaluationInput, EvaluationItemInput, EvaluationItemResult, EvaluationResult,
  EvaluationsInput, EvaluationsResult
} from './decisions.js'
export * from './errors.js'
export { ensureRootKey, hashSecret, KEY_SCOPES, KeyRing, mintKey, parseKeyToken } from './keys.js'
export type { Principal } from './keys.js'
export { REASON_CODES } from '../engine/reasons.js'
export type { ReasonCode } from '../engine/reasons.js'
export { bundleJsonSchema, filterJsonSchema, NAME_PATTERN, queryPlanJsonSchema, subjectJsonSchema } from '../engine/index.js'
export type { ActorMode, KeyScope, Store, Tenant, WriteOptions } from '../store/store.js'
export { ENTITY_TYPES } from '../store/store.js'

export interface ServicesOptions {
  store: Store
  /** `GATEHOUSE_ROOT_KEY`; unset: the stored hash of the generated root key. */
  rootKey: string | undefined
  /** Tenants whose state is kept in memory (default 10,000). */
  maxTenants?: number
  /** Stored resources kept in memory, all tenants together (default 50,000). */
  resourceCacheSize?: number
  /** Tenant keys kept in memory (default 10,000). */
  keyCacheSize?: number
  /** Unknown key ids remembered, for 10 s each (default 10,000). */
  unknownKeyCacheSize?: number
  /** MiB (estimated) of search's cached ACL facts, all tenants together (default 64; 0: none). */
  searchFactsCacheMb?: number
  /** How often tenants in memory are checked against the store, in ms (default 5,000; 0: never). */
  pollMs?: number
  /** How long a tenant refresh or the poll may keep failing before `ready` says not ready, in ms (default 30,000). */
  staleAfterMs?: number
  /** Where background failures (refreshes, poll, change feed) are logged; the app passes its logger. */
  logger?: BackgroundLog
  /** Count decisions by module, reason and outcome (`decisionTally`), for metrics; default: not counted. */
  tallyDecisions?: boolean
  /** The worker threads that compile large bundles and run diffs and suites (threads, job timeout, queue; tests: the entry file). */
  policyWorkers?: Omit<PolicyWorkersOptions, 'log'>
}

/** The caches whose hits and misses are counted (`Services.cacheCounts`). */
export type CacheName = 'tenant_states' | 'resources' | 'keys' | 'search_facts'

export interface Services {
  readonly store: Store
  readonly keys: KeyRing
  readonly decisions: DecisionService
  readonly search: SearchService
  readonly admin: AdminService
  readonly policyTools: PolicyToolsService
  readonly policyParts: PolicyPartsService
  readonly directory: DirectoryService
  readonly audit: AuditService
  readonly states: TenantStates
  readonly resources: ResourceCache
  /** Follows other replicas' writes; started and stopped by the app. */
  readonly propagation: Propagation
  /** Failures of the work nobody waits for: counters for metrics, and what makes `ready` fail. */
  readonly background: Background
  /** Compiles large bundles and runs diffs and suites off the event loop; its failures are counted. Closed with the app. */
  readonly policyWorkers: PolicyWorkers
  /** Decisions by module, reason and outcome, when `tallyDecisions` was asked for. */
  readonly decisionTally: DecisionTally | undefined
  /** Hits and misses of each cache, live. */
  readonly cacheCounts: Readonly<Record<CacheName, CacheCounts>>
  /**
   * Resolves when the store answers, the change feed is up and no tenant state or poll has
   * been failing for longer than `staleAfterMs`; throws StoreUnavailableError or
   * ServiceError `unavailable` (one detail per problem) otherwise.
   */
  ready: () => Promise<void>
}

export function createServices (opts: ServicesOptions): Services {
  const { store } = opts
  const resources = new ResourceCache({ store, size: opts.resourceCacheSize })
  const keys = new KeyRing({ store, rootKey: opts.rootKey, cacheSize: opts.keyCacheSize, unknownCacheSize: opts.unknownKeyCacheSize })
  const searchFacts = new SearchFactsCache((opts.searchFactsCacheMb ?? DEFAULT_SEARCH_FACTS_MB) * 2 ** 20)
  const background = new Background({ ...(opts.logger === undefined ? {} : { log: opts.logger }), ...(opts.staleAfterMs === undefined ? {} : { staleAfterMs: opts.staleAfterMs }) })
  const policyWorkers = new PolicyWorkers({ ...opts.policyWorkers, ...(opts.logger === undefined ? {} : { log: opts.logger }) })
  const states = new TenantStates({ store, maxTenants: opts.maxTenants, caches: { resources, keys, searchFacts }, background, workers: policyWorkers })
  const admin = new AdminService({ store, states, resources })
  const propagation = new Propagation({ store, states, resources, keys, background, pollMs: opts.pollMs })
  const decisionTally = opts.tallyDecisions === true ? new DecisionTally() : undefined
  return {
    store,
    keys,
    states,
    resources,
    decisions: new DecisionService({ states, resources, ...(decisionTally === undefined ? {} : { tally: decisionTally }) }),
    search: new SearchService({ states, resources, facts: searchFacts, store }),
    admin,
    policyTools: new PolicyToolsService({ states, resources }),
    policyParts: new PolicyPartsService({ store, states }),
    directory: new DirectoryService({ store, states, admin }),
    audit: new AuditService({ store, states }),
    propagation,
    background,
    policyWorkers,
    decisionTally,
    cacheCounts: { tenant_states: states.counts, resources: resources.counts, keys: keys.counts, search_facts: searchFacts.counts },
    ready: async () => {
      await store.ping()
      const feed = propagation.status
      if (!feed.up) throw new StoreUnavailableError(`the change feed is down${feed.since === undefined ? '' : ` since ${feed.since}`}: decisions answer from the last state in memory`)
      const problems = background.problems()
      if (problems.length > 0) {
        throw new ServiceError('unavailable', `not ready: ${problems.join('; ')}`, problems.map(message => ({ path: '', message, code: 'stale_state' })))
      }
    }
  }
}
