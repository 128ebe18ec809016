/**
 * Reading the audit log (the store appends an entry in every write's transaction; nothing
 * changes or deletes one). Entries come oldest first, by revision, a page at a time.
 */
import type { AuditEntry, Store } from '../store/store.js'
import { validationFailed } from './errors.js'
import type { TenantStates } from './tenant-state.js'

export const DEFAULT_AUDIT_PAGE = 100

/** Revisions are PostgreSQL `integer`s: a position above it is no page of any log. */
const MAX_REVISION = 2_147_483_647

export interface AuditFilter {
  entityType?: string
  entityId?: string
  /** ISO 8601 date-time: entries at or after it. */
  since?: string
  /** ISO 8601 date-time: entries before it. */
  until?: string
  limit?: number
  /** The `next` of the previous page. */
  after?: string
}

export interface AuditPage {
  entries: AuditEntry[]
  /** Pass as `after` for the next page; `''` on the last page. */
  next: string
  revision: number
}

export class AuditService {
  readonly #store: Store
  readonly #states: TenantStates

  constructor (opts: { store: Store, states: TenantStates }) {
    this.#store = opts.store
    this.#states = opts.states
  }

  /** ServiceError `tenant_not_found`; `validation_failed` naming `since`, `until` or `after` when unreadable. */
  async list (tenantId: string, filter: AuditFilter): Promise<AuditPage> {
    const state = await this.#states.get(tenantId)
    const since = readTime(filter.since, 'since')
    const until = readTime(filter.until, 'until')
    const afterRevision = filter.after === undefined ? undefined : Number(filter.after)
    if (afterRevision !== undefined && (!Number.isSafeInteger(afterRevision) || afterRevision < 0 || afterRevision > MAX_REVISION)) {
      throw validationFailed('`after` must be the `next` of a previous page', [{ in: 'querystring', path: '/after', message: 'is not a page position', code: 'format' }])
    }
    const limit = filter.limit ?? DEFAULT_AUDIT_PAGE
    const { entries, hasMore } = await this.#store.listAudit(tenantId, {
      limit,
      ...(filter.entityType === undefined ? {} : { entityType: filter.entityType }),
      ...(filter.entityId === undefined ? {} : { entityId: filter.entityId }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(afterRevision === undefined ? {} : { afterRevision })
    })
    const last = entries[entries.length - 1]
    return { entries, next: hasMore && last !== undefined ? String(last.revision) : '', revision: state.revision }
  }
}

function readTime (value: string | undefined, name: 'since' | 'until'): Date | undefined {
  if (value === undefined) return undefined
  const time = new Date(value)
  if (Number.isNaN(time.getTime())) {
    throw validationFailed(`\`${name}\` must be an ISO 8601 date-time, not \`${value}\``, [{ in: 'querystring', path: `/${name}`, message: 'is not a date-time', code: 'format' }])
  }
  return time
}
