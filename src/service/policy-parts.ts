/**
 * Modules, flags and roles as resources of their own (issue 4): each write is an edit of
 * the tenant's stored bundle, so that a change made here is exactly a bundle import (the
 * export reflects it, the same validation applies) and the bundle stays the one source
 * of truth.
 *
 * An edit reads the bundle, applies the change and writes the bundle back under the
 * tenant's row lock (src/service/conditional-edit.ts), so that two ops engineers editing
 * different roles at once both land and neither change is lost; a caller that sent
 * `If-Match` gets 412 when the revision moved, one that did not never does.
 *
 * Referential integrity: after the change the whole bundle must compile and every stored
 * subject must still be valid. A problem inside the edited part is the caller's input
 * (400 `policy_invalid`, paths relative to the body); a problem elsewhere means something
 * still uses what the edit removes (409 `conflict`, one detail per user: the role, action
 * or subject and its path). `cascade` (modules and flags) also removes the references the
 * bundle itself holds; subjects are never changed behind the caller's back.
 *
 * A fixed role (`fixed: true`) changes only by a whole-bundle import: an edit that writes
 * it, deletes it or changes what it grants is 409 `role_fixed` (src/service/fixed-roles.ts).
 */
import { isDeepStrictEqual } from 'node:util'
import { checkSubject, compileBundle, isName } from '../engine/index.js'
import { bundleLimitIssues } from '../engine/bundle-limits.js'
import { getOwn } from '../engine/own.js'
import type { CompiledPolicy, Issue } from '../engine/index.js'
import type { Bundle } from '../engine/model.js'
import type { EditStore, Store, WriteOptions, Written } from '../store/store.js'
import { conditionalEdit } from './conditional-edit.js'
import { refuseFixedRoleChange } from './fixed-roles.js'
import { ServiceError, problemsMessage } from './errors.js'
import type { ErrorDetail } from './errors.js'
import type { TenantStates } from './tenant-state.js'
import type { CompileResult } from './policy-workers.js'

export type PolicyPart = 'modules' | 'flags' | 'roles'

/** The singular of each part, for messages. */
const NOUN = { modules: 'module', flags: 'flag', roles: 'role' } as const satisfies Record<PolicyPart, string>

type Edit = (bundle: Bundle) => void

export class PolicyPartsService {
  readonly #store: Store
  readonly #states: TenantStates

  constructor (opts: { store: Store, states: TenantStates }) {
    this.#store = opts.store
    this.#states = opts.states
  }

  /** Every definition of the part, by name. */
  async list (tenantId: string, part: PolicyPart): Promise<{ items: Record<string, unknown>, revision: number }> {
    const { bundle, revision } = await this.#read(tenantId)
    return { items: { ...(bundle[part] ?? {}) }, revision }
  }

  /** One definition; ServiceError `not_found` when the bundle has none by that name. */
  async get (tenantId: string, part: PolicyPart, name: string): Promise<{ value: unknown, revision: number }> {
    const { bundle, revision } = await this.#read(tenantId)
    const value = definitionOf(bundle, part, name)
    if (value === undefined) throw notFound(tenantId, part, name)
    return { value, revision }
  }

  /** Creates or replaces one definition. */
  async put (tenantId: string, part: PolicyPart, name: string, value: unknown, opts: WriteOptions = {}): Promise<{ value: unknown, created: boolean, revision: number }> {
    if (!isName(name)) {
      // `__proto__` matches the name pattern but is reserved (src/engine/names.ts): it is
      // the path's name that is wrong, not the body.
      throw new ServiceError('validation_failed', `\`${name}\` cannot name a ${NOUN[part]}: it is reserved`, [
        { in: 'params', path: '/name', message: 'is a reserved name', code: 'invalid_name' }
      ])
    }
    let created = false
    const { revision } = await this.#edit(tenantId, part, name, opts, bundle => {
      const items = { ...(bundle[part] ?? {}) } as Record<string, unknown>
      created = !Object.hasOwn(items, name)
      setOwn(items, name, value)
      ;(bundle as unknown as Record<string, unknown>)[part] = items
    })
    return { value, created, revision }
  }

  /**
   * Removes one definition. ServiceError `not_found` when there is none; `conflict`
   * listing what still uses it; with `cascade` (modules and flags), the bundle's own
   * references go with it.
   */
  async delete (tenantId: string, part: PolicyPart, name: string, opts: WriteOptions & { cascade?: boolean } = {}): Promise<{ revision: number }> {
    if (opts.cascade === true && part === 'roles') {
      throw new ServiceError('validation_failed', 'a role cannot be deleted with `cascade`: subjects are never changed implicitly; remove the role from its holders first', [
        { in: 'querystring', path: '/cascade', message: 'is not supported for roles', code: 'cascade_unsupported' }
      ])
    }
    return await this.#edit(tenantId, part, name, opts, bundle => {
      const items = { ...(bundle[part] ?? {}) } as Record<string, unknown>
      if (!Object.hasOwn(items, name)) throw notFound(tenantId, part, name)
      delete items[name]
      ;(bundle as unknown as Record<string, unknown>)[part] = items
      if (opts.cascade === true) removeReferences(bundle, part, name)
    })
  }

  async #read (tenantId: string, store: EditStore = this.#store): Promise<{ bundle: Bundle, revision: number }> {
    // The tenant revision first: the policy read after it is at least as new.
    const tenant = await store.getTenant(tenantId)
    if (tenant === undefined) throw new ServiceError('tenant_not_found', `tenant \`${tenantId}\` not found`)
    const stored = await store.getPolicy(tenantId)
    const bundle: Bundle = stored === undefined ? { version: 1, modules: {}, roles: {} } : structuredClone(stored.bundle)
    return { bundle, revision: tenant.revision }
  }

  /**
   * Reads the bundle, edits it, checks it and writes it back, all under the tenant's lock
   * (`conditionalEdit`), then applies the write to this process's state.
   */
  async #edit (tenantId: string, part: PolicyPart, name: string, opts: WriteOptions, edit: Edit): Promise<{ revision: number }> {
    const { by } = opts
    const done = await conditionalEdit<{ revision: number, written?: Written, policy?: CompiledPolicy }>(this.#store, tenantId, opts.ifRevision, async (tx, revision) => {
      const { bundle } = await this.#read(tenantId, tx)
      const unedited = structuredClone(bundle)
      const before = definitionOf(bundle, part, name) ?? null
      edit(bundle)
      const after = definitionOf(bundle, part, name) ?? null
      // A write that changes nothing writes nothing: no revision, no audit entry.
      if (isDeepStrictEqual(bundle, unedited)) return { revision }
      refuseOversized(bundle, part, name)
      const compiled = await this.#states.workers.compile(bundle)
      refuseFixedRoleChange(unedited, bundle, { part, name }, compiled, () => compiledStored(unedited))
      const policy = await this.#check(tx, tenantId, compiled, part, name)
      // Written as the whole bundle, audited as the part that changed.
      const audited = { entity: { type: NOUN[part], name }, action: after === null ? 'delete' as const : 'put' as const, before, after }
      const written = await tx.putPolicy(tenantId, bundle, { ...(by === undefined ? {} : { by }), audited })
      return { revision: written.revision, written, policy }
    })
    if (done.written !== undefined) this.#states.apply(tenantId, done.written.entry, { policy: done.policy })
    return { revision: done.revision }
  }

  /** Refuses a bundle that does not compile or that a stored subject no longer fits; returns it compiled. */
  async #check (tx: EditStore, tenantId: string, compiled: CompileResult, part: PolicyPart, name: string): Promise<CompiledPolicy> {
    const own = `/${part}/${name}`
    if (!compiled.ok) {
      const inside = compiled.issues.filter(i => i.path === own || i.path.startsWith(`${own}/`))
      if (inside.length > 0) {
        throw new ServiceError('policy_invalid', `invalid ${NOUN[part]} \`${name}\`: ${inside[0]?.message ?? ''}`,
          inside.map(i => ({ in: 'body', path: i.path.slice(own.length), message: i.message, code: i.code })))
      }
      throw inUse(part, name, compiled.issues.map(i => ({ in: 'body', path: i.path, message: `used by the policy: ${i.message}`, code: i.code })))
    }
    const subjects = await tx.listSubjects(tenantId)
    const users: ErrorDetail[] = []
    for (const subject of subjects.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      for (const issue of checkSubject(compiled.policy, subject)) users.push(subjectDetail(subject.id, issue))
    }
    if (users.length > 0) throw inUse(part, name, users)
    return compiled.policy
  }
}

/** A bundle grown one part at a time is held to the limits of an import (`BUNDLE_LIMITS`), before anything compiles it. */
function refuseOversized (bundle: Bundle, part: PolicyPart, name: string): void {
  const over = bundleLimitIssues(bundle)
  if (over.length === 0) return
  const own = `/${part}/${name}`
  const details = over.map(i => ({ in: 'body' as const, path: i.path.startsWith(`${own}/`) ? i.path.slice(own.length) : i.path, message: i.message, code: i.code }))
  throw new ServiceError('policy_invalid', problemsMessage(`the policy with ${NOUN[part]} \`${name}\``, details), details)
}

/** A stored bundle compiled; it compiled when it was written, so a failure here is a bug. */
function compiledStored (bundle: Bundle): CompiledPolicy {
  const compiled = compileBundle(bundle)
  if (!compiled.ok) throw new Error(`the stored bundle does not compile: ${compiled.issues[0]?.message ?? ''}`)
  return compiled.policy
}

/**
 * The definition named `name`, an own property only: a name such as `constructor` or
 * `toString` is a definition the bundle has, never a member of `Object.prototype`.
 */
function definitionOf (bundle: Bundle, part: PolicyPart, name: string): unknown {
  return getOwn(bundle[part] as Record<string, unknown> | undefined, name)
}

/** Sets an own property, `__proto__` included (an assignment would replace the prototype). */
function setOwn (record: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true })
}

function notFound (tenantId: string, part: PolicyPart, name: string): ServiceError {
  return new ServiceError('not_found', `tenant \`${tenantId}\` has no ${NOUN[part]} \`${name}\``)
}

function inUse (part: PolicyPart, name: string, details: ErrorDetail[]): ServiceError {
  const n = details.length
  return new ServiceError('conflict', `${NOUN[part]} \`${name}\` is still used (${n} ${n === 1 ? 'use' : 'uses'}): ${details[0]?.message ?? ''}`, details)
}

function subjectDetail (id: string, issue: Issue): ErrorDetail {
  return { in: 'body', path: `/subjects/${id.replaceAll('~', '~0').replaceAll('/', '~1')}${issue.path}`, message: `subject \`${id}\`: ${issue.message}`, code: issue.code }
}

/** Removes what the bundle itself says about a deleted module or flag (cascade). */
function removeReferences (bundle: Bundle, part: PolicyPart, name: string): void {
  for (const role of Object.values(bundle.roles)) {
    if (part === 'modules' && role.modules !== undefined) {
      const { [name]: _removed, ...rest } = role.modules
      role.modules = rest
    }
    if (part === 'flags' && role.flags !== undefined) role.flags = role.flags.filter(f => f !== name)
  }
  if (part !== 'flags') return
  for (const module of Object.values(bundle.modules)) {
    for (const action of Object.values(module.actions)) {
      if (action.flags !== undefined) action.flags = action.flags.filter(f => f !== name)
    }
    for (const field of Object.values(module.fields ?? {})) {
      if (field.flags !== undefined) field.flags = field.flags.filter(f => f !== name)
    }
  }
}
