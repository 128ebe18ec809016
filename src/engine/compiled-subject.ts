/**
 * A subject compiled against one policy: what decisions read of the subject that does
 * not depend on the resource (its names, the roles and flags that apply per project,
 * its effective grants per module with overrides applied), computed once per
 * (policy, subject) instead of once per decision.
 *
 * The part that does not name the subject, a *profile* (the roles that apply in one
 * project, the flags held, the overrides), is shared: `compileSubject` looks it up in the
 * policy's `profiles` memo by a key that determines it, so that subjects alike in roles,
 * flags and overrides share one set of decision contexts (built per module on first use).
 * Every profile and context is a pure function of the policy and the key; sharing
 * changes no decision, only how much memory decisions walk through.
 */
import type { AppliedRoles } from './context.js'
import { applyRoles, DecisionContext, moduleOverrides, subjectNames } from './context.js'
import type { ModuleOverride, Subject } from './model.js'
import { isRecord } from './own.js'
import type { CompiledModule, CompiledPolicy } from './policy.js'

/** Why step 1 refuses a known subject, if it does. */
export type SubjectRefusal = 'subject_inactive' | 'subject_login_disabled'

/**
 * How many profiles a policy's memo holds; a subject met after that gets profiles of its
 * own, which decide the same.
 */
export const MAX_SHARED_PROFILES = 4096

/**
 * The roles that apply in one project (or in none), the flags held there and the
 * overrides, with the decision context per module built from them on first use.
 */
export class SubjectProfile {
  readonly applied: AppliedRoles
  readonly #policy: CompiledPolicy
  readonly #overrides: ReadonlyMap<string, ModuleOverride>
  /** By module ordinal. */
  readonly #contexts: Array<DecisionContext | undefined>

  constructor (policy: CompiledPolicy, applied: AppliedRoles, overrides: ReadonlyMap<string, ModuleOverride>) {
    this.applied = applied
    this.#policy = policy
    this.#overrides = overrides
    this.#contexts = new Array<DecisionContext | undefined>(policy.modules.size).fill(undefined)
  }

  /** The context on `module`, a module of the policy the profile was made under. */
  context (module: CompiledModule): DecisionContext {
    let ctx = this.#contexts[module.ordinal]
    if (ctx === undefined) {
      ctx = new DecisionContext(this.#policy, this.applied, module, this.#overrides.get(module.name))
      this.#contexts[module.ordinal] = ctx
    }
    return ctx
  }
}

/**
 * A subject prepared for decisions under `policy` (see `compileSubject`).
 * INVARIANT: neither the policy nor the subject document changes after compilation; a
 * changed subject or policy needs a new compiled subject.
 */
export class CompiledSubject {
  // Fields a decision reads come first, so that they share the object's first cache line.
  readonly policy: CompiledPolicy
  /** Step 1: set when the subject is inactive or may not log in. */
  readonly refusal: SubjectRefusal | undefined
  /** Step 2: the account owner. */
  readonly owner: boolean
  /** The subject's id, as reasons name it. */
  readonly id: string
  readonly #projects: Readonly<Record<string, unknown>> | undefined
  #tenantWide: SubjectProfile | undefined
  /** The subject's id, its aliases and `group:<g>` for each of its groups: what relation values name it as. */
  readonly names: ReadonlySet<string>
  readonly subject: Subject
  readonly #shared: boolean
  #overrides: ReadonlyMap<string, ModuleOverride> | undefined
  #byProject: Map<string, SubjectProfile> | undefined

  /** `shared`: look profiles up in (and add them to) the policy's memo. */
  constructor (policy: CompiledPolicy, subject: Subject, shared: boolean) {
    this.policy = policy
    this.refusal = refusalOf(subject)
    this.owner = subject.owner === true
    this.id = subject.id
    this.#projects = isRecord(subject.projects) ? subject.projects : undefined
    this.#tenantWide = undefined
    this.names = subjectNames(subject)
    this.subject = subject
    this.#shared = shared
    this.#overrides = undefined
    this.#byProject = undefined
  }

  /**
   * The context of a decision on `module` (a module of `policy`) for a resource whose
   * effective project is `project`.
   */
  context (module: CompiledModule, project: string | undefined): DecisionContext {
    // Only projects the subject holds roles in can differ from no project at all.
    if (project === undefined || this.#projects === undefined || !Object.hasOwn(this.#projects, project)) {
      this.#tenantWide ??= this.#profile(undefined)
      return this.#tenantWide.context(module)
    }
    this.#byProject ??= new Map()
    let profile = this.#byProject.get(project)
    if (profile === undefined) {
      profile = this.#profile(project)
      this.#byProject.set(project, profile)
    }
    return profile.context(module)
  }

  #profile (project: string | undefined): SubjectProfile {
    const applied = applyRoles(this.policy, this.subject, project)
    this.#overrides ??= moduleOverrides(this.subject)
    if (!this.#shared) return new SubjectProfile(this.policy, applied, this.#overrides)
    const memo = this.policy.profiles
    const key = profileKey(applied, this.subject.overrides)
    if (key === undefined) return new SubjectProfile(this.policy, applied, this.#overrides)
    let profile = memo.get(key)
    if (profile === undefined) {
      profile = new SubjectProfile(this.policy, applied, this.#overrides)
      if (memo.size < MAX_SHARED_PROFILES) memo.set(key, profile)
    }
    return profile
  }
}

/**
 * Compiles `subject` for decisions under `policy`: pure, it only reads its arguments
 * (and shares profiles through the policy's memo). Callers that decide often for one
 * subject (a service's subject cache) compile once and pass the result as the request's
 * `subject`; `decide` compiles a plain subject itself, each time.
 */
export function compileSubject (policy: CompiledPolicy, subject: Subject): CompiledSubject {
  return new CompiledSubject(policy, subject, true)
}

/**
 * `subject` compiled for `policy`: itself when it already is; compiled now, unshared,
 * when it is a plain subject or was compiled for another policy.
 */
export function subjectFor (policy: CompiledPolicy, subject: Subject | CompiledSubject): CompiledSubject {
  if (subject instanceof CompiledSubject) return subject.policy === policy ? subject : new CompiledSubject(policy, subject.subject, false)
  return new CompiledSubject(policy, subject, false)
}

/** Step 1 for a known subject: inactive or `login: false` subjects are refused; an unexpected status or login value refuses too. */
export function refusalOf (subject: Subject): SubjectRefusal | undefined {
  if (subject.status !== undefined && subject.status !== 'active') return 'subject_inactive'
  if (subject.login !== undefined && subject.login !== true) return 'subject_login_disabled'
  return undefined
}

/**
 * A key that determines a profile under one policy: the roles that apply (in order) and
 * the subject's whole `overrides` document, serialized canonically (`canonical`). The
 * flags held follow from both. Nothing here names an override field, so a field that
 * overrides gain is part of the key the day it exists: two subjects that differ in any
 * override never share a profile. Equal keys give equal contexts; unequal keys may too
 * (fewer shared profiles, never a wrong one). `undefined` when the overrides cannot be
 * serialized (a cycle, a function): such a subject shares nothing.
 */
function profileKey (applied: AppliedRoles, overrides: unknown): string | undefined {
  const serialized = canonical(overrides, [])
  // Role names are names (no `,` or `|`).
  return serialized === undefined ? undefined : `${applied.roles.map(r => r.name).join(',')}|${serialized}`
}

/**
 * `value` as a string that is equal for two values exactly when a reader of own
 * properties cannot tell them apart: object keys sorted (non-enumerable ones included,
 * as `Object.getOwnPropertyNames` reads them), every primitive marked with its type
 * (`1`, `"1"`, `-0`, `NaN`, `undefined` and `null` all differ). `undefined` for what has
 * no such form: a cycle (`ancestors`: the objects being serialized), a function, a symbol.
 */
function canonical (value: unknown, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string': return JSON.stringify(value)
    case 'number': return Object.is(value, -0) ? '-0' : String(value)
    case 'boolean': return String(value)
    case 'bigint': return `${value}n`
    case 'undefined': return 'undefined'
    case 'object': break
    default: return undefined
  }
  if (value === null) return 'null'
  if (ancestors.includes(value)) return undefined
  ancestors.push(value)
  const parts: string[] = []
  const array = Array.isArray(value)
  const keys = array ? Array.from(value, (_, i) => String(i)) : Object.getOwnPropertyNames(value).sort()
  for (const key of keys) {
    const part = canonical((value as Record<string, unknown>)[key], ancestors)
    if (part === undefined) return undefined
    parts.push(array ? part : `${JSON.stringify(key)}:${part}`)
  }
  ancestors.pop()
  return array ? `[${parts.join(',')}]` : `{${parts.join(',')}}`
}
