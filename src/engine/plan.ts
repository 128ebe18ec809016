/**
 * Search plans (issue 3, docs/decisions/0002-search-plans.md): which stored resources of
 * a module a subject may do an action on, as a query plan that a database can answer
 * (`always`, `never`, or a filter over the resource's effective project, its relation
 * values, its id, its attributes and its governing ACL). The plan is exact: a stored
 * resource satisfies it iff `decide` allows the action on it. It mirrors
 * docs/decisions/0001-decision-semantics.md by reusing the decision's own building
 * blocks (the compiled subject's contexts and names, grants, conditions).
 */
import { assertNever } from './assert.js'
import { compareAttribute } from './attributes.js'
import type { CompiledSubject } from './compiled-subject.js'
import { subjectFor } from './compiled-subject.js'
import type { DecisionContext } from './context.js'
import { holds } from './condition-eval.js'
import { conditionTerm } from './condition-plan.js'
import { grantWays, NO_INPUTS } from './grant.js'
import type { AclEntry, AttributeValue, ConditionInputs, Subject } from './model.js'
import { getOwn, isRecord, listOf } from './own.js'
import type { CompiledModule, CompiledPolicy, CompiledScope } from './policy.js'
import type { Filter, QueryPlan } from './plan-format.js'
import type { Term } from './terms.js'
import { ACL_GOVERNED, aclAllows, and, not, or, projectIn, relationContainsAny, termKey } from './terms.js'

/**
 * How many `parent` links are followed from a resource: its ancestors are at most this
 * many. The service's ancestor walk and the store's materialised `effective_project` and
 * ACL holder must use this same bound, or search and evaluation disagree on deep trees.
 */
export const MAX_ANCESTOR_DEPTH = 32

export type { AttributeComparison, Filter, QueryPlan } from './plan-format.js'

/**
 * What a plan needs to know of the stored resources of the module besides the policy
 * (the store's `getSearchFacts`): whether any is governed by an ACL, and the distinct
 * conditions (`when`) of the module's ACL entries, which the plan decides for the request.
 */
export interface SearchFacts {
  /** Some stored resource of the module holds an ACL: the plan must consider ACLs. */
  hasAcls: boolean
  /** Every distinct `when` text of the module's stored ACL entries. */
  aclConditions: readonly string[]
}

/** A resource as a plan sees it: its id, its effective project and its relation values. */
export interface PlanResource {
  id: string
  /** The effective project: the resource's own, else its nearest ancestor's. */
  project?: string
  relations: Readonly<Record<string, readonly string[]>>
  /** The values of the module's declared attributes. */
  attributes?: Readonly<Record<string, AttributeValue>>
  /** The entries of the ACL governing it (its own, else its nearest ancestor's); absent when none does. */
  acl?: readonly AclEntry[]
}

/**
 * The plan of "which stored resources of `module` may `subject` do `action` on".
 * `facts` are the ACL facts of the stored resources of the module (the store's
 * `getSearchFacts`). `request` holds what conditions read besides subject and resource
 * (the request's action properties, context and subject attributes). Total: never
 * throws on a compiled policy.
 */
export function planSearch (
  policy: CompiledPolicy, subject: Subject | CompiledSubject | undefined, action: string, module: string, facts: SearchFacts,
  request?: ConditionInputs
): QueryPlan {
  // Step 1 and 1b: nothing for an unknown, inactive or `login: false` subject, or names the policy lacks.
  if (subject === undefined) return NEVER
  const cs = subjectFor(policy, subject)
  if (cs.refusal !== undefined) return NEVER
  const mod = policy.modules.get(module)
  if (mod === undefined) return NEVER
  const index = mod.actionIndex.get(action)
  if (index === undefined) return NEVER
  const inputs = request ?? NO_INPUTS
  // Step 1, last: the action's `when`, for everyone.
  const when = mod.actionWhen[index]
  const actionTerm = when === undefined ? true : conditionTerm(when, cs.subject, inputs)
  if (actionTerm === false) return NEVER
  // Step 2: the owner.
  if (cs.owner) return toPlan(actionTerm)
  const contexts = new Contexts(cs, mod, index, inputs)
  const base = contexts.of(undefined)
  // Step 3: a per-user override that denies the action (the same for every resource).
  if (base.ctx.overrideDenied(index)) return NEVER

  // For a resource r with effective project P and context c = contexts.of(P):
  //   allowed(r) = super(c) ∨ (r governed ∧ acl allows) ∨ (r not governed ∧ grants(c, r))
  // The ACL part is one leaf naming who the subject is in c (its names and the role refs
  // of c) and which entry conditions hold, so that the store answers it with an index
  // lookup in its ACL entries, whatever the number of ACLs (ADR 0002, "ACL leaves").
  // A module without any ACL needs neither part.
  if (!facts.hasAcls) return toPlan(and(actionTerm, byProject(contexts, c => c.superRole ? true : c.grants)))
  const holding = facts.aclConditions.filter(text => holds(mod.conditions.withoutResource(text), cs.subject, undefined, inputs))
  const reach = byProject(contexts, c => c.superRole
    ? true
    : or(aclAllows(action, [...cs.names, ...c.ctx.roleRefs], holding), and(not(ACL_GOVERNED), c.grants)))
  return toPlan(and(actionTerm, reach))
}

/** Whether `resource` satisfies `plan`: the in-memory reading of a plan, as SQL reads it. */
export function matchesPlan (plan: QueryPlan, resource: PlanResource): boolean {
  switch (plan.kind) {
    case 'always': return true
    case 'never': return false
    case 'conditional': return matchesFilter(plan.filter, resource)
    default: return assertNever(plan)
  }
}

function matchesFilter (filter: Filter, resource: PlanResource): boolean {
  switch (filter.op) {
    case 'and': return filter.args.every(f => matchesFilter(f, resource))
    case 'or': return filter.args.some(f => matchesFilter(f, resource))
    case 'not': return !matchesFilter(filter.arg, resource)
    case 'project_in': return resource.project !== undefined && filter.values.includes(resource.project)
    case 'id_in': return filter.values.includes(resource.id)
    case 'acl_governed': return resource.acl !== undefined
    case 'acl_allows': return resource.acl !== undefined && aclAllowsLeaf(filter, resource.acl)
    case 'relation_contains_any': {
      const values = getOwn(resource.relations, filter.relation)
      return Array.isArray(values) && values.some(v => filter.values.includes(v))
    }
    case 'attribute_compare': {
      const value = getOwn(resource.attributes, filter.attribute)
      return value !== undefined && compareAttribute(filter.type, value, filter.cmp, filter.value)
    }
    case 'attribute_in': {
      const value = getOwn(resource.attributes, filter.attribute)
      return value !== undefined && filter.values.some(v => compareAttribute(filter.type, value, 'eq', v))
    }
    case 'attribute_contains': {
      const value = getOwn(resource.attributes, filter.attribute)
      return Array.isArray(value) && value.includes(filter.value)
    }
    case 'attribute_exists': return getOwn(resource.attributes, filter.attribute) !== undefined
    default: return assertNever(filter)
  }
}

/**
 * The `acl_allows` leaf read in memory, as SQL reads it: an entry applies when its `who`
 * is listed and it has no `when` or a listed one; the action is allowed by one applying
 * entry and denied by none.
 */
function aclAllowsLeaf (leaf: Extract<Filter, { op: 'acl_allows' }>, entries: readonly AclEntry[]): boolean {
  const when = leaf.when ?? []
  let allowed = false
  for (const e of listOf(entries)) {
    if (typeof e?.who !== 'string' || !leaf.who.includes(e.who)) continue
    const condition: unknown = e.when
    if (condition !== undefined && !(typeof condition === 'string' && when.includes(condition))) continue
    if (listOf(e.deny).includes(leaf.action)) return false
    if (listOf(e.allow).includes(leaf.action)) allowed = true
  }
  return allowed
}

const ALWAYS: QueryPlan = Object.freeze({ kind: 'always' })
const NEVER: QueryPlan = Object.freeze({ kind: 'never' })

/** One context: the roles that apply in one project (or in none) and what they give. */
interface ProjectContext {
  ctx: DecisionContext
  /** A role that applies is `all: true` or admin of the module: ACLs and grants are not consulted. */
  superRole: boolean
  /** The resources the grants of the context give the action on (ACLs aside). */
  grants: Term
}

/** The contexts of the subject on the module, by effective project, computed once each. */
class Contexts {
  readonly #byProject = new Map<string | undefined, ProjectContext>()

  constructor (
    private readonly subject: CompiledSubject,
    private readonly module: CompiledModule,
    private readonly index: number,
    private readonly inputs: ConditionInputs
  ) {}

  /** The projects in which the subject holds roles: the only ones whose context may differ from no project's. */
  projects (): string[] {
    return isRecord(this.subject.subject.projects) ? Object.keys(this.subject.subject.projects) : []
  }

  of (project: string | undefined): ProjectContext {
    const known = this.#byProject.get(project)
    if (known !== undefined) return known
    const ctx = this.subject.context(this.module, project)
    const made: ProjectContext = { ctx, superRole: ctx.superRole !== undefined, grants: grantsTerm(ctx, this.index, this.subject, this.inputs) }
    this.#byProject.set(project, made)
    return made
  }
}

/**
 * Step 5 for one action, whatever the resource: the ways the candidate grants reach
 * resources (`grantWays`). Ways without conditions reach the union of their scopes'
 * relations; conditional ones add their own terms.
 */
function grantsTerm (ctx: DecisionContext, index: number, cs: CompiledSubject, inputs: ConditionInputs): Term {
  const relations = new Set<string>()
  const conditional: Term[] = []
  const names = [...cs.names]
  for (const { override, scope, when } of grantWays(ctx, index)) {
    if (override === undefined && when === undefined) {
      if (scope.kind === 'all') return true
      if (scope.kind === 'relations') for (const r of scope.relations) relations.add(r)
      continue
    }
    const applies = override === undefined ? true : conditionTerm(override.condition, cs.subject, inputs)
    conditional.push(and(override?.holds === false ? not(applies) : applies, scopeTerm(scope, names), when === undefined ? true : conditionTerm(when, cs.subject, inputs)))
  }
  return or(...[...relations].sort().map(relation => relationContainsAny(relation, names)), ...conditional)
}

/** The resources in a scope for a subject known by `names`. */
function scopeTerm (scope: CompiledScope, names: readonly string[]): Term {
  if (scope.kind === 'all') return true
  if (scope.kind === 'none') return false
  return or(...scope.relations.map(relation => relationContainsAny(relation, names)))
}

/**
 * A term that depends on the resource's effective project only through the context:
 * `value` for resources in no project where the subject holds roles that change it,
 * and each such project's own value for its resources.
 */
function byProject (contexts: Contexts, value: (c: ProjectContext) => Term): Term {
  const base = value(contexts.of(undefined))
  const baseKey = termKey(base)
  const differing: string[] = []
  const groups = new Map<string, { term: Term, projects: string[] }>()
  for (const project of contexts.projects()) {
    const term = value(contexts.of(project))
    const key = termKey(term)
    if (key === baseKey) continue
    differing.push(project)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { term, projects: [project] })
    else group.projects.push(project)
  }
  return or(
    and(not(projectIn(differing)), base),
    ...[...groups.values()].map(g => and(projectIn(g.projects), g.term))
  )
}

function toPlan (term: Term): QueryPlan {
  if (term === true) return ALWAYS
  if (term === false) return NEVER
  return { kind: 'conditional', filter: term }
}

// --- JSON Schemas, for OpenAPI and for callers that validate plans they receive.

const values = (description: string): Record<string, unknown> => ({
  type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string' }, description
})

const attribute = { type: 'string', description: 'A declared attribute of the module; every attribute test is false on a resource without a value for it.' } as const
const attributeType = {
  type: 'string',
  enum: ['string', 'number', 'boolean', 'timestamp', 'enum', 'list'],
  description: 'The attribute\'s declared type (`list`: `[string]`); a value of another type is false.'
} as const

/**
 * The JSON Schema of `Filter`. It refers to itself by `$id`: register it with the
 * validator (Fastify: `app.addSchema(filterJsonSchema)`) and refer to it as
 * `{ $ref: 'QueryPlanFilter#' }`; @fastify/swagger turns it into a component.
 */
export const filterJsonSchema = {
  $id: 'QueryPlanFilter',
  title: 'QueryPlanFilter',
  description: 'A condition on a resource: its effective project, its relation values, its id, its attributes, its governing ACL, and `and`/`or`/`not` of conditions.',
  type: 'object',
  required: ['op'],
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'args'],
      properties: {
        op: { type: 'string', enum: ['and', 'or'] },
        args: { type: 'array', minItems: 2, items: { $ref: 'QueryPlanFilter#' } }
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'arg'],
      properties: { op: { type: 'string', enum: ['not'] }, arg: { $ref: 'QueryPlanFilter#' } }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'values'],
      properties: {
        op: { type: 'string', enum: ['project_in'] },
        values: values('The resource\'s effective project (its own, else its nearest ancestor\'s) is one of these; a resource without project is in none.')
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'relation', 'values'],
      properties: {
        op: { type: 'string', enum: ['relation_contains_any'] },
        relation: { type: 'string', description: 'A relation of the module (`assignee`, `creator`, ...).' },
        values: values('The relation holds at least one of these user ids, aliases or `group:<id>` values.')
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'values'],
      properties: {
        op: { type: 'string', enum: ['id_in'] },
        values: values('The resource id is one of these.')
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op'],
      properties: {
        op: { type: 'string', enum: ['acl_governed'], description: 'An ACL governs the resource: its own `acl` (even an empty one), else its nearest ancestor\'s through `parent`.' }
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'action', 'who'],
      properties: {
        op: { type: 'string', enum: ['acl_allows'], description: 'An ACL governs the resource, and among its entries that apply one allows `action` and none denies it.' },
        action: { type: 'string', description: 'The action searched.' },
        who: values('An entry applies when its `who` is one of these (the subject\'s id, aliases, `group:<id>`, the `role:<id>` of each role that applies, `*`) ...'),
        when: { ...values('... and it has no `when`, or one of these (the entry conditions that hold for the request).'), minItems: 1 }
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'attribute', 'type', 'cmp', 'value'],
      properties: {
        op: { type: 'string', enum: ['attribute_compare'] },
        attribute,
        type: attributeType,
        cmp: { type: 'string', enum: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'], description: 'The resource\'s value compared with `value`: equal, not equal, less, less or equal, greater, greater or equal.' },
        value: { type: ['string', 'number', 'boolean'], description: 'A timestamp is an RFC 3339 string, compared as an instant.' }
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'attribute', 'type', 'values'],
      properties: {
        op: { type: 'string', enum: ['attribute_in'] },
        attribute,
        type: attributeType,
        values: { type: 'array', minItems: 1, uniqueItems: true, items: { type: ['string', 'number'] }, description: 'The resource\'s value is one of these.' }
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'attribute', 'value'],
      properties: {
        op: { type: 'string', enum: ['attribute_contains'] },
        attribute: { ...attribute, description: 'A `[string]` attribute of the module.' },
        value: { type: 'string', description: 'The list holds this string.' }
      }
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['op', 'attribute'],
      properties: {
        op: { type: 'string', enum: ['attribute_exists'] },
        attribute
      }
    }
  ]
} as const

/** The JSON Schema of `QueryPlan`; refers to `filterJsonSchema` (register both). */
export const queryPlanJsonSchema = {
  $id: 'QueryPlan',
  title: 'QueryPlan',
  description: 'Which resources a search may return: `always` (all), `never` (none) or `conditional` (those matching `filter`).',
  type: 'object',
  required: ['kind'],
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { type: 'string', enum: ['always', 'never'] } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'filter'],
      properties: { kind: { type: 'string', enum: ['conditional'] }, filter: { $ref: 'QueryPlanFilter#' } }
    }
  ]
} as const
