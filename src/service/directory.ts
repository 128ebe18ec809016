/**
 * The tenant's people as an ops team browses them (issue 4): subjects listed with filters
 * and pages, a subject's overrides as a resource of their own, and groups with their
 * members. Membership lives on the subject (`groups`), so a group's members are read from
 * the subjects and a group still having members cannot be deleted (409 naming them).
 * Reads come from the tenant's in-memory state; writes go through AdminService, so that
 * a change here is validated and applied exactly as a subject write is.
 */
import { permissionMatrix } from '../engine/index.js'
import { getOwn } from '../engine/own.js'
import type { PermissionMatrix } from '../engine/index.js'
import type { Overrides, Subject } from '../engine/model.js'
import type { Group, Store, WriteOptions } from '../store/store.js'
import type { AdminService } from './admin.js'
import { requirePolicy } from './admin.js'
import { ServiceError } from './errors.js'
import type { TenantStates } from './tenant-state.js'

export const DEFAULT_SUBJECT_PAGE = 100
export const MAX_SUBJECT_PAGE = 1000

export interface SubjectFilter {
  /** Holds the role, tenant-wide or in a project. */
  role?: string
  group?: string
  /** Holds a role in the project. */
  project?: string
}

export interface SubjectPage {
  subjects: Subject[]
  /** The id to pass as `after` for the next page; `''` on the last page. */
  next: string
  revision: number
}

export interface GroupView extends Group {
  /** The subjects naming the group, by id. */
  members: string[]
}

export class DirectoryService {
  readonly #store: Store
  readonly #states: TenantStates
  readonly #admin: AdminService

  constructor (opts: { store: Store, states: TenantStates, admin: AdminService }) {
    this.#store = opts.store
    this.#states = opts.states
    this.#admin = opts.admin
  }

  /** Subjects matching every filter given, by id ascending, `limit` at a time after `after`. */
  async listSubjects (tenantId: string, filter: SubjectFilter, page: { limit?: number, after?: string } = {}): Promise<SubjectPage> {
    const state = await this.#states.get(tenantId)
    const revision = state.revision
    const limit = page.limit ?? DEFAULT_SUBJECT_PAGE
    const matching = [...state.subjectsById.values()]
      .filter(s => page.after === undefined || s.id > page.after)
      .filter(s => matches(s, filter))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const subjects = matching.slice(0, limit)
    return { subjects, next: matching.length > limit ? (subjects[subjects.length - 1]?.id ?? '') : '', revision }
  }

  /** A subject's overrides (`{}` when it has none). ServiceError `not_found` for an unknown subject. */
  async getOverrides (tenantId: string, id: string): Promise<{ overrides: Overrides, revision: number }> {
    const { subject, revision } = await this.#admin.getSubject(tenantId, id)
    return { overrides: subject.overrides ?? {}, revision }
  }

  /** Replaces a subject's overrides (`undefined`: removes them), checked as a subject write is. */
  async putOverrides (tenantId: string, id: string, overrides: Overrides | undefined, opts: WriteOptions = {}): Promise<{ overrides: Overrides, revision: number }> {
    try {
      const { revision } = await this.#admin.editSubject(tenantId, id, opts, subject => {
        const { overrides: _old, ...rest } = subject
        return overrides === undefined ? rest : { ...rest, overrides }
      })
      return { overrides: overrides ?? {}, revision }
    } catch (err) {
      // The subject check names paths in the subject; the caller sent only its overrides.
      if (!(err instanceof ServiceError) || err.code !== 'validation_failed' || err.details === undefined) throw err
      throw new ServiceError(err.code, err.message, err.details.map(d => ({ ...d, path: d.path.replace(/^\/overrides(?=\/|$)/, '') })))
    }
  }

  /** The subject's effective permissions (src/engine/permissions.ts). ServiceError `not_found`, `no_policy`. */
  async permissions (tenantId: string, id: string): Promise<{ matrix: PermissionMatrix, revision: number }> {
    const state = await this.#states.get(tenantId)
    const policy = requirePolicy(state)
    const subject = state.subjectsById.get(id)
    if (subject === undefined) throw new ServiceError('not_found', `subject \`${id}\` not found`)
    return { matrix: permissionMatrix(policy, subject), revision: state.revision }
  }

  async listGroups (tenantId: string): Promise<{ groups: GroupView[], revision: number }> {
    const state = await this.#states.get(tenantId)
    const groups = await this.#store.listGroups(tenantId)
    groups.sort((a, b) => (a.id < b.id ? -1 : 1))
    return { groups: groups.map(g => ({ ...g, members: membersOf(state.subjectsById.values(), g.id) })), revision: state.revision }
  }

  async getGroup (tenantId: string, id: string): Promise<{ group: GroupView, revision: number }> {
    const state = await this.#states.get(tenantId)
    const group = await this.#store.getGroup(tenantId, id)
    if (group === undefined) throw new ServiceError('not_found', `group \`${id}\` not found`)
    return { group: { ...group, members: membersOf(state.subjectsById.values(), id) }, revision: state.revision }
  }

  async putGroup (tenantId: string, group: Group, opts: WriteOptions = {}): Promise<{ group: GroupView, created: boolean, revision: number }> {
    const state = await this.#states.get(tenantId)
    const written = await this.#store.putGroup(tenantId, group, opts)
    this.#states.apply(tenantId, written.entry)
    return { group: { ...group, members: membersOf(state.subjectsById.values(), group.id) }, created: written.created, revision: written.revision }
  }

  /** Refused (ServiceError `conflict`, each member named) while subjects are in the group. */
  async deleteGroup (tenantId: string, id: string, opts: WriteOptions = {}): Promise<{ revision: number }> {
    const state = await this.#states.get(tenantId)
    const members = membersOf(state.subjectsById.values(), id)
    if (members.length > 0) {
      throw new ServiceError('conflict', `group \`${id}\` still has ${members.length} ${members.length === 1 ? 'member' : 'members'}: remove it from their \`groups\` first`,
        members.map(m => ({ in: 'body', path: `/subjects/${m}/groups`, message: `subject \`${m}\` is in group \`${id}\``, code: 'in_use' })))
    }
    const written = await this.#store.deleteGroup(tenantId, id, opts)
    this.#states.apply(tenantId, written.entry)
    return { revision: written.revision }
  }
}

function matches (subject: Subject, filter: SubjectFilter): boolean {
  if (filter.group !== undefined && !(subject.groups ?? []).includes(filter.group)) return false
  if (filter.project !== undefined && (getOwn(subject.projects, filter.project) ?? []).length === 0) return false
  if (filter.role !== undefined) {
    const role = filter.role
    const held = subject.roles.includes(role) || Object.values(subject.projects ?? {}).some(roles => roles.includes(role))
    if (!held) return false
  }
  return true
}

function membersOf (subjects: Iterable<Subject>, group: string): string[] {
  const members: string[] = []
  for (const s of subjects) if ((s.groups ?? []).includes(group)) members.push(s.id)
  return members.sort()
}

/** The matrix as CSV (RFC 4180), one row per cell, tenant-wide rows first, for compliance reviews. */
export function permissionsCsv (matrix: PermissionMatrix): string {
  const rows: string[][] = [['subject', 'project', 'module', 'action', 'scope', 'when', 'sources', 'visible_fields', 'editable_fields']]
  const add = (project: string, cells: PermissionMatrix['cells']): void => {
    for (const c of cells) {
      rows.push([matrix.subject, project, c.module, c.action, Array.isArray(c.scope) ? c.scope.join(' ') : c.scope, c.when ?? '', c.sources.join(' '),
        (c.fields?.visible ?? []).join(' '), (c.fields?.editable ?? []).join(' ')])
    }
  }
  add('', matrix.cells)
  for (const [project, { cells }] of Object.entries(matrix.projects)) add(project, cells)
  return rows.map(row => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}

function csvField (value: string): string {
  // Quoted when it holds a separator, a quote or a line break; a leading = + - @ is
  // prefixed with ' so that a spreadsheet never reads a cell as a formula.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}
