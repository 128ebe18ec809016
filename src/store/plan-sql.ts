/**
 * Query plans to SQL (docs/decisions/0002-search-plans.md). `planToSql` turns a plan
 * from `planSearch` (or from the `context.plan` of `POST /access/v1/search/resource`)
 * into a parameterised WHERE clause over a caller's own table, given where the plan's
 * attributes live there. The store answers its own searches with the same translation.
 *
 * Safety: identifiers come only from the mapping and are validated and double-quoted;
 * every value of the plan is a parameter (`$n`), never text in the SQL.
 *
 * Semantics: the clause is true for a row exactly when the plan holds for it, with
 * NULLs read as "no value": a NULL project is in no list, a NULL relation column or
 * array holds nothing. (Negations are written `(x) IS NOT TRUE`, so that a NULL inside
 * never turns a row's answer into NULL, which WHERE would read as false.)
 */
import type { Filter, QueryPlan } from '../engine/plan.js'

/** Where a relation's values live in the caller's schema. */
export type RelationMapping =
  /** A column holding one value (NULL: none), e.g. `w.assignee_id`. */
  | { column: string }
  /** An array column, e.g. `w.assignee_ids` (`text[]`, NULL: none). */
  | { array: string }
  /** A join table with one row per (resource, value). */
  | { join: JoinMapping }

/** A join table: rows `(key, valueColumn)` say that the resource `key` has the value. */
export interface JoinMapping {
  /** The table: `name` or `schema.name`. */
  table: string
  /** The join table's column holding the resource's key. */
  key: string
  /** The join table's column holding the relation values (user ids, aliases, `group:<id>`). */
  valueColumn: string
  /** The caller's column that `key` refers to; default: the mapping's `id`. */
  resourceKey?: string
  /**
   * Equalities every matching join row must satisfy, as column → value (values become
   * parameters): a discriminator such as `{ role: 'assignee' }` when one table holds
   * several relations.
   */
  where?: Record<string, string | number | boolean>
}

/**
 * Where the plan's attributes are, as column references: `column`, `table.column` or
 * `schema.table.column` (letters, digits and `_`; quoted as written, so write them as
 * PostgreSQL stores them, lower case unless they were created quoted).
 */
export interface PlanSqlMapping {
  /** The resource id column (compared with the plan's `id_in` values). */
  id: string
  /** The column holding the resource's effective project; needed when a plan has `project_in`. */
  project?: string
  /** Per relation named by the plan; a plan naming a relation missing here is refused. */
  relations?: Record<string, RelationMapping>
}

export interface PlanSqlOptions {
  /** The number of the first parameter, so that the clause can follow the caller's own (`$1`...). Default 1. */
  startIndex?: number
}

export interface PlanSql {
  /** A boolean SQL expression: `TRUE` for `always`, `FALSE` for `never`, else a parenthesised condition. */
  where: string
  /** The values of `$startIndex`, `$startIndex + 1`, ... in order. */
  params: unknown[]
}

export type PlanSqlErrorCode = 'invalid_plan' | 'invalid_mapping' | 'unmapped_attribute'

/** The plan is malformed, the mapping is unusable, or the plan names an attribute the mapping lacks. */
export class PlanSqlError extends Error {
  readonly code: PlanSqlErrorCode

  constructor (code: PlanSqlErrorCode, message: string) {
    super(message)
    this.name = 'PlanSqlError'
    this.code = code
  }
}

/**
 * A parameterised WHERE clause selecting the rows of the caller's table for which
 * `plan` holds. Throws PlanSqlError when the plan is malformed (it may come over the
 * wire), when an identifier of the mapping is not a plain (optionally qualified) name,
 * or when the plan needs an attribute the mapping does not give.
 *
 * @example
 * const { where, params } = planToSql(plan, {
 *   id: 'w.id',
 *   project: 'w.site_id',
 *   relations: {
 *     assignee: { column: 'w.assignee_id' },
 *     watcher: { array: 'w.watcher_ids' },
 *     crew: { join: { table: 'work_order_crews', key: 'work_order_id', valueColumn: 'member' } }
 *   }
 * }, { startIndex: 2 })
 * await pool.query(`select w.id from work_orders w where w.company_id = $1 and ${where}`, [companyId, ...params])
 */
export function planToSql (plan: QueryPlan, mapping: PlanSqlMapping, opts: PlanSqlOptions = {}): PlanSql {
  const start = opts.startIndex ?? 1
  if (!Number.isSafeInteger(start) || start < 1) throw new PlanSqlError('invalid_mapping', `\`startIndex\` must be a positive integer, not ${String(start)}`)
  const parts = planToSqlParts(plan, mapping)
  let where = ''
  const params: unknown[] = []
  for (const part of parts) {
    if (typeof part === 'string') {
      where += part
    } else {
      params.push(part.param)
      where += `$${start + params.length - 1}`
    }
  }
  return { where, params }
}

/** SQL text, or a value to pass as a parameter. */
export type SqlPart = string | { param: unknown }

/** `planToSql` before numbering the parameters (the store renders the parts as a drizzle query). */
export function planToSqlParts (plan: QueryPlan, mapping: PlanSqlMapping): SqlPart[] {
  const checked = checkPlan(plan)
  // The mapping is checked whatever the plan, so that a bad one fails on the first call.
  const columns = checkMapping(mapping)
  if (checked.kind === 'always') return ['TRUE']
  if (checked.kind === 'never') return ['FALSE']
  return new Translator(columns).filter(checked.filter)
}

// --- The plan, checked: it may come from JSON the caller parsed.

const MAX_DEPTH = 64

function checkPlan (plan: unknown): QueryPlan {
  if (typeof plan !== 'object' || plan === null) throw new PlanSqlError('invalid_plan', 'the plan must be an object')
  const kind = (plan as { kind?: unknown }).kind
  if (kind === 'always' || kind === 'never') return { kind }
  if (kind !== 'conditional') throw new PlanSqlError('invalid_plan', `unknown plan kind ${JSON.stringify(kind) ?? 'undefined'}: expected \`always\`, \`never\` or \`conditional\``)
  return { kind, filter: checkFilter((plan as { filter?: unknown }).filter, '/filter', 0) }
}

function checkFilter (value: unknown, path: string, depth: number): Filter {
  if (depth > MAX_DEPTH) throw new PlanSqlError('invalid_plan', `the plan is nested deeper than ${MAX_DEPTH} levels at \`${path}\``)
  if (typeof value !== 'object' || value === null) throw new PlanSqlError('invalid_plan', `\`${path}\` must be a filter object`)
  const f = value as Record<string, unknown>
  switch (f.op) {
    case 'and':
    case 'or': {
      if (!Array.isArray(f.args) || f.args.length === 0) throw new PlanSqlError('invalid_plan', `\`${path}/args\` must be a non-empty list of filters`)
      return { op: f.op, args: f.args.map((a: unknown, i) => checkFilter(a, `${path}/args/${i}`, depth + 1)) }
    }
    case 'not':
      return { op: 'not', arg: checkFilter(f.arg, `${path}/arg`, depth + 1) }
    case 'project_in':
    case 'id_in':
      return { op: f.op, values: checkValues(f.values, `${path}/values`) }
    case 'relation_contains_any':
      if (typeof f.relation !== 'string' || f.relation === '') throw new PlanSqlError('invalid_plan', `\`${path}/relation\` must be a non-empty string`)
      return { op: f.op, relation: f.relation, values: checkValues(f.values, `${path}/values`) }
    default:
      throw new PlanSqlError('invalid_plan', `unknown filter op ${JSON.stringify(f.op) ?? 'undefined'} at \`${path}\``)
  }
}

function checkValues (value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) throw new PlanSqlError('invalid_plan', `\`${path}\` must be a list of strings`)
  return value as string[]
}

// --- The mapping, checked and quoted.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** A validated name of at most `maxParts` dot-separated parts, double-quoted. */
function quoteName (value: unknown, maxParts: number, what: string): string {
  const parts = typeof value === 'string' ? value.split('.') : []
  if (parts.length === 0 || parts.length > maxParts || !parts.every(p => IDENTIFIER.test(p))) {
    const shape = maxParts === 1 ? 'a plain column name' : `a name of at most ${maxParts} dot-separated parts`
    throw new PlanSqlError('invalid_mapping', `${what} must be ${shape} (letters, digits, \`_\`), not ${JSON.stringify(value) ?? 'undefined'}`)
  }
  return parts.map(p => `"${p}"`).join('.')
}

type CheckedRelation =
  | { kind: 'column', column: string }
  | { kind: 'array', column: string }
  | { kind: 'join', table: string, key: string, valueColumn: string, resourceKey: string, where: Array<[string, unknown]> }

interface CheckedMapping {
  id: string
  project: string | undefined
  relations: Map<string, CheckedRelation>
}

function checkMapping (mapping: PlanSqlMapping): CheckedMapping {
  if (typeof mapping !== 'object' || mapping === null) throw new PlanSqlError('invalid_mapping', 'the mapping must be an object')
  const id = quoteName(mapping.id, 3, 'the `id` column')
  const project = mapping.project === undefined ? undefined : quoteName(mapping.project, 3, 'the `project` column')
  const relations = new Map<string, CheckedRelation>()
  for (const [name, r] of Object.entries(mapping.relations ?? {})) {
    relations.set(name, checkRelation(name, r, id))
  }
  return { id, project, relations }
}

function checkRelation (name: string, r: RelationMapping, id: string): CheckedRelation {
  const what = `relation \`${name}\``
  if (typeof r === 'object' && r !== null) {
    if ('column' in r) return { kind: 'column', column: quoteName(r.column, 3, `the column of ${what}`) }
    if ('array' in r) return { kind: 'array', column: quoteName(r.array, 3, `the array column of ${what}`) }
    if ('join' in r && typeof r.join === 'object' && r.join !== null) {
      const j = r.join
      const where = Object.entries(j.where ?? {}).map(([column, value]): [string, unknown] => {
        if (!['string', 'number', 'boolean'].includes(typeof value)) {
          throw new PlanSqlError('invalid_mapping', `the \`where\` value of column \`${column}\` of ${what} must be a string, a number or a boolean`)
        }
        return [quoteName(column, 1, `a \`where\` column of ${what}`), value]
      })
      return {
        kind: 'join',
        table: quoteName(j.table, 2, `the join table of ${what}`),
        key: quoteName(j.key, 1, `the \`key\` of ${what}`),
        valueColumn: quoteName(j.valueColumn, 1, `the \`valueColumn\` of ${what}`),
        resourceKey: j.resourceKey === undefined ? id : quoteName(j.resourceKey, 3, `the \`resourceKey\` of ${what}`),
        where
      }
    }
  }
  throw new PlanSqlError('invalid_mapping', `${what} must be mapped as \`{ column }\`, \`{ array }\` or \`{ join }\``)
}

// --- Translation.

type JoinRelation = Extract<CheckedRelation, { kind: 'join' }>

class Translator {
  #aliases = 0

  constructor (private readonly mapping: CheckedMapping) {}

  filter (f: Filter): SqlPart[] {
    switch (f.op) {
      case 'and': return this.junction(' AND ', f.args.map(a => this.filter(a)))
      case 'or': return this.or(f.args)
      case 'not': return ['((', ...this.filter(f.arg), ') IS NOT TRUE)']
      case 'id_in': return [`${this.mapping.id} = ANY(`, { param: f.values }, ')']
      case 'project_in': {
        if (this.mapping.project === undefined) throw new PlanSqlError('unmapped_attribute', 'the plan filters on `project`, which the mapping does not map')
        return [`${this.mapping.project} = ANY(`, { param: f.values }, ')']
      }
      case 'relation_contains_any': {
        const r = this.relation(f.relation)
        if (r.kind === 'column') return [`${r.column} = ANY(`, { param: f.values }, ')']
        if (r.kind === 'array') return [`${r.column} && `, { param: f.values }]
        return this.joins(r, [f])
      }
      // Attribute leaves (issue 14) get their SQL on the store's branch; until then a plan using them is refused.
      default: throw new PlanSqlError('unmapped_attribute', `the plan filters on attribute \`${f.attribute}\`, which the mapping does not map`)
    }
  }

  junction (separator: string, terms: SqlPart[][]): SqlPart[] {
    if (terms.length === 1) return terms[0] as SqlPart[]
    const out: SqlPart[] = ['(']
    terms.forEach((t, i) => { if (i > 0) out.push(separator); out.push(...t) })
    out.push(')')
    return out
  }

  /**
   * `or`: relation tests on the same join table and key become one `IN (SELECT ...)`,
   * so that the database reads the join table's index once for all of them.
   */
  or (args: readonly Filter[]): SqlPart[] {
    const terms: Array<SqlPart[] | { join: JoinRelation, leaves: Array<Extract<Filter, { op: 'relation_contains_any' }>> }> = []
    const byTarget = new Map<string, { join: JoinRelation, leaves: Array<Extract<Filter, { op: 'relation_contains_any' }>> }>()
    for (const a of args) {
      if (a.op === 'relation_contains_any') {
        const r = this.relation(a.relation)
        if (r.kind === 'join') {
          const target = `${r.table}\u0000${r.key}\u0000${r.resourceKey}`
          const group = byTarget.get(target)
          if (group !== undefined) {
            group.leaves.push(a)
          } else {
            const made = { join: r, leaves: [a] }
            byTarget.set(target, made)
            terms.push(made)
          }
          continue
        }
      }
      terms.push(this.filter(a))
    }
    return this.junction(' OR ', terms.map(t => Array.isArray(t) ? t : this.joinGroup(t.leaves)))
  }

  joinGroup (leaves: Array<Extract<Filter, { op: 'relation_contains_any' }>>): SqlPart[] {
    return this.joins(this.relation((leaves[0] as Extract<Filter, { op: 'relation_contains_any' }>).relation) as JoinRelation, leaves)
  }

  /** `resourceKey IN (SELECT key FROM table WHERE <where and value test of each leaf, or-ed>)`. */
  joins (r: JoinRelation, leaves: ReadonlyArray<Extract<Filter, { op: 'relation_contains_any' }>>): SqlPart[] {
    const alias = `"gh_j${this.#aliases++}"`
    const conditions = leaves.map(leaf => {
      const own = this.relation(leaf.relation) as JoinRelation
      const parts: SqlPart[] = []
      for (const [column, value] of own.where) parts.push(`${alias}.${column} = `, { param: value }, ' AND ')
      parts.push(`${alias}.${own.valueColumn} = ANY(`, { param: leaf.values }, ')')
      return parts
    })
    const condition = conditions.length === 1
      ? conditions[0] as SqlPart[]
      : this.junction(' OR ', conditions.map(c => ['(', ...c, ')']))
    return [`${r.resourceKey} IN (SELECT ${alias}.${r.key} FROM ${r.table} AS ${alias} WHERE `, ...condition, ')']
  }

  relation (name: string): CheckedRelation {
    const r = this.mapping.relations.get(name)
    if (r === undefined) throw new PlanSqlError('unmapped_attribute', `the plan filters on relation \`${name}\`, which the mapping does not map`)
    return r
  }
}
