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
 * never turns a row's answer into NULL, which WHERE would read as false.) Attribute
 * tests are false for a row without the attribute (NULL), `ne` included, as a condition
 * reading a missing attribute is a deny.
 */
import type { AttributeComparison, AttributeType, Filter, QueryPlan } from '../engine/plan-format.js'

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
 * Where a resource attribute (a module's `attributes`) lives in the caller's schema.
 *
 * A column reference holding the value (NULL: the resource lacks it): text for `string`
 * and enum attributes, a number type for `number`, boolean, `timestamptz` or RFC 3339
 * text for `timestamp` (cast), `text[]` for `[string]`. The column is compared as it is
 * (`col = $1`, `col = ANY($1::text[])`, `col < $1::numeric`; strings ordered by
 * `col::text COLLATE "C"`), so a btree index on it serves equality and `in`, and ranges
 * on numbers; a range on strings needs the index built `COLLATE "C"`, one on RFC 3339
 * text needs the column to be `timestamptz`. A list is tested `col::text[] @> ARRAY[$1::text]`,
 * which a GIN index on a `text[]` column serves.
 *
 * Or `{ jsonb }`: a jsonb column holding an object of attributes by name, as the store
 * keeps them (several attributes may name the same column). Equality on strings, enums,
 * numbers and booleans, `in` on strings, enums and numbers, and list `contains` are
 * containment (`col @> $1::jsonb` with `{"status":"locked"}`, `col @> ANY($1::jsonb[])`,
 * `{"tags":["x"]}`), which a GIN index on the column serves (`USING gin (col
 * jsonb_path_ops)`, as the store's `resources_attributes_idx`). The other tests read the
 * value with type guards (`CASE WHEN jsonb_typeof(col -> 'amount') = 'number' THEN ...`),
 * which no index of the column serves: ranges, `ne`, timestamps, `exists`. Either way a
 * value of another JSON type counts as missing. A `timestamp` read this way calls
 * `gh_timestamptz(text)` (migrations/0004_attributes.sql), which the database must have.
 */
export type AttributeMapping = string | { jsonb: string }

/**
 * Where resource ACLs live in the caller's schema, for plans of modules whose resources
 * carry ACLs (`acl_governed`, `acl_allows`): the column naming the resource whose ACL
 * governs the row (its own id when it holds one, else its nearest ancestor's through
 * `parent`; NULL when none does), and a table of the entries of those ACLs, one row per
 * (holder, entry, effect, action), as gatehouse keeps them in `acl_entries`.
 */
export interface AclMapping {
  /** The column holding the id of the governing resource (NULL: no ACL governs the row). */
  holder: string
  entries: {
    /** The table: `name` or `schema.name`. */
    table: string
    /** Its column holding the id of the resource whose ACL the entry belongs to. */
    holder: string
    /** Its column holding the entry's `who` (a user id or alias, `group:<id>`, `role:<id>`, `*`). */
    who: string
    /** Its column holding one action the entry allows or denies. */
    action: string
    /** Its column holding `allow` or `deny`. */
    effect: string
    /** Its column holding the entry's condition text (NULL: none). */
    when: string
    /** Equalities every entry row must satisfy, as column → value (a tenant, a module). */
    where?: Record<string, string | number | boolean>
  }
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
  /** Per resource attribute named by the plan (conditions on data); a plan naming one missing here is refused. */
  attributes?: Record<string, AttributeMapping>
  /** Needed when the plan has ACL leaves (a module whose stored resources carry ACLs). */
  acl?: AclMapping
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
    case 'acl_governed':
      return { op: f.op }
    case 'acl_allows': {
      if (typeof f.action !== 'string' || f.action === '') throw new PlanSqlError('invalid_plan', `\`${path}/action\` must be a non-empty string`)
      const leaf: Extract<Filter, { op: 'acl_allows' }> = { op: f.op, action: f.action, who: checkValues(f.who, `${path}/who`) }
      if (f.when !== undefined) leaf.when = checkValues(f.when, `${path}/when`)
      return leaf
    }
    case 'relation_contains_any':
      if (typeof f.relation !== 'string' || f.relation === '') throw new PlanSqlError('invalid_plan', `\`${path}/relation\` must be a non-empty string`)
      return { op: f.op, relation: f.relation, values: checkValues(f.values, `${path}/values`) }
    case 'attribute_compare': {
      const type = checkType(f.type, `${path}/type`)
      if (!CMPS.has(f.cmp as string)) throw new PlanSqlError('invalid_plan', `\`${path}/cmp\` must be one of ${[...CMPS].map(c => `\`${c}\``).join(', ')}`)
      if (type === 'list') throw new PlanSqlError('invalid_plan', `\`${path}/type\`: a list attribute is tested with \`attribute_contains\`, not compared`)
      return { op: f.op, attribute: checkAttribute(f.attribute, path), type, cmp: f.cmp as AttributeComparison, value: checkScalar(f.value, type, `${path}/value`) }
    }
    case 'attribute_in': {
      const type = checkType(f.type, `${path}/type`)
      if (type === 'list' || type === 'boolean') throw new PlanSqlError('invalid_plan', `\`${path}/type\`: \`attribute_in\` tests a string, enum, number or timestamp attribute, not a ${type} one`)
      if (!Array.isArray(f.values) || f.values.length === 0) throw new PlanSqlError('invalid_plan', `\`${path}/values\` must be a non-empty list`)
      const values = f.values.map((v: unknown, i) => checkScalar(v, type, `${path}/values/${i}`) as string | number)
      return { op: f.op, attribute: checkAttribute(f.attribute, path), type, values }
    }
    case 'attribute_contains':
      if (typeof f.value !== 'string') throw new PlanSqlError('invalid_plan', `\`${path}/value\` must be a string`)
      return { op: f.op, attribute: checkAttribute(f.attribute, path), value: f.value }
    case 'attribute_exists':
      return { op: f.op, attribute: checkAttribute(f.attribute, path) }
    default:
      throw new PlanSqlError('invalid_plan', `unknown filter op ${JSON.stringify(f.op) ?? 'undefined'} at \`${path}\``)
  }
}

const CMPS: ReadonlySet<string> = new Set<AttributeComparison>(['eq', 'ne', 'lt', 'le', 'gt', 'ge'])
const TYPES: ReadonlySet<string> = new Set<AttributeType>(['string', 'number', 'boolean', 'timestamp', 'enum', 'list'])

function checkType (value: unknown, path: string): AttributeType {
  if (typeof value !== 'string' || !TYPES.has(value)) throw new PlanSqlError('invalid_plan', `\`${path}\` must be one of ${[...TYPES].map(c => `\`${c}\``).join(', ')}`)
  return value as AttributeType
}

function checkAttribute (value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw new PlanSqlError('invalid_plan', `\`${path}/attribute\` must be a non-empty string`)
  return value
}

/**
 * A compared value of the attribute's type. A timestamp is an RFC 3339 date-time the
 * engine accepts (years 1 to 9999 in UTC, at most six fraction digits, no leap second)
 * and becomes that instant in UTC, to the microsecond, which PostgreSQL always reads
 * (its own offsets stop at 15 hours; RFC 3339's do not).
 */
function checkScalar (value: unknown, type: AttributeType, path: string): string | number | boolean {
  switch (type) {
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value
      throw new PlanSqlError('invalid_plan', `\`${path}\` must be a finite number`)
    case 'boolean':
      if (typeof value === 'boolean') return value
      throw new PlanSqlError('invalid_plan', `\`${path}\` must be a boolean`)
    case 'timestamp': {
      const instant = typeof value === 'string' ? utcInstant(value) : undefined
      if (instant !== undefined) return instant
      throw new PlanSqlError('invalid_plan', `\`${path}\` must be an RFC 3339 timestamp`)
    }
    default:
      if (typeof value === 'string') return value
      throw new PlanSqlError('invalid_plan', `\`${path}\` must be a string`)
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,6}))?(?:[Zz]|([+-])([01]\d|2[0-3]):([0-5]\d))$/

/** `2026-12-07T18:32:27.000000Z` for an RFC 3339 timestamp, else `undefined` (an impossible date, a year outside 1..9999 in UTC). */
function utcInstant (text: string): string | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const offset = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]))
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  // A day past the month's end rolls over: refused.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined
  date.setUTCHours(hour, minute - offset, second, 0)
  const iso = date.toISOString()
  if (!/^\d{4}-/.test(iso) || iso.startsWith('0000')) return undefined
  return `${iso.slice(0, 19)}.${(m[7] ?? '').padEnd(6, '0')}Z`
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

type CheckedAttribute = { kind: 'column', column: string } | { kind: 'jsonb', column: string }

interface CheckedAcl {
  holder: string
  table: string
  entryHolder: string
  who: string
  action: string
  effect: string
  when: string
  where: Array<[string, unknown]>
}

interface CheckedMapping {
  id: string
  project: string | undefined
  relations: Map<string, CheckedRelation>
  attributes: Map<string, CheckedAttribute>
  acl: CheckedAcl | undefined
}

function checkMapping (mapping: PlanSqlMapping): CheckedMapping {
  if (typeof mapping !== 'object' || mapping === null) throw new PlanSqlError('invalid_mapping', 'the mapping must be an object')
  const id = quoteName(mapping.id, 3, 'the `id` column')
  const project = mapping.project === undefined ? undefined : quoteName(mapping.project, 3, 'the `project` column')
  const relations = new Map<string, CheckedRelation>()
  for (const [name, r] of Object.entries(mapping.relations ?? {})) {
    relations.set(name, checkRelation(name, r, id))
  }
  const attributes = new Map<string, CheckedAttribute>()
  for (const [name, a] of Object.entries(mapping.attributes ?? {})) {
    const what = `attribute \`${name}\``
    if (typeof a === 'string') attributes.set(name, { kind: 'column', column: quoteName(a, 3, `the column of ${what}`) })
    else if (typeof a === 'object' && a !== null && 'jsonb' in a) attributes.set(name, { kind: 'jsonb', column: quoteName(a.jsonb, 3, `the jsonb column of ${what}`) })
    else throw new PlanSqlError('invalid_mapping', `${what} must be mapped as a column name or \`{ jsonb }\``)
  }
  const acl = mapping.acl === undefined ? undefined : checkAcl(mapping.acl)
  return { id, project, relations, attributes, acl }
}

function checkAcl (a: AclMapping): CheckedAcl {
  const e: Partial<AclMapping['entries']> = typeof a === 'object' && a !== null && typeof a.entries === 'object' && a.entries !== null ? a.entries : {}
  const what = 'of the ACL entries'
  return {
    holder: quoteName(a?.holder, 3, 'the `acl.holder` column'),
    table: quoteName(e.table, 2, `the table ${what}`),
    entryHolder: quoteName(e.holder, 1, `the \`holder\` column ${what}`),
    who: quoteName(e.who, 1, `the \`who\` column ${what}`),
    action: quoteName(e.action, 1, `the \`action\` column ${what}`),
    effect: quoteName(e.effect, 1, `the \`effect\` column ${what}`),
    when: quoteName(e.when, 1, `the \`when\` column ${what}`),
    where: checkWhere(e.where, what)
  }
}

/** A join's `where` equalities, columns quoted. */
function checkWhere (where: Record<string, unknown> | undefined, what: string): Array<[string, unknown]> {
  return Object.entries(where ?? {}).map(([column, value]): [string, unknown] => {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new PlanSqlError('invalid_mapping', `the \`where\` value of column \`${column}\` ${what} must be a string, a number or a boolean`)
    }
    return [quoteName(column, 1, `a \`where\` column ${what}`), value]
  })
}

function checkRelation (name: string, r: RelationMapping, id: string): CheckedRelation {
  const what = `relation \`${name}\``
  if (typeof r === 'object' && r !== null) {
    if ('column' in r) return { kind: 'column', column: quoteName(r.column, 3, `the column of ${what}`) }
    if ('array' in r) return { kind: 'array', column: quoteName(r.array, 3, `the array column of ${what}`) }
    if ('join' in r && typeof r.join === 'object' && r.join !== null) {
      const j = r.join
      const where = checkWhere(j.where, `of ${what}`)
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

/**
 * The JSON objects (texts) of which an object of attributes contains one (jsonb `@>`)
 * exactly when `leaf` holds for it; `undefined` when containment cannot say it. Exact
 * because jsonb compares as the engine does: strings byte for byte (case and code points
 * kept, no collation), numbers by value (`1` contains `1.0`, as JavaScript has one
 * number), `true` and `false` only as booleans, a value of another JSON type never (a
 * string `"1"` is not the number 1, a list is not its element, inside an object), a
 * missing key never; and a list `[string]` contains `["x"]` when it holds `"x"` among
 * its items, whatever else it holds, as `Array.includes`. Covered: `eq` on strings,
 * enums, numbers and booleans, `in` on strings, enums and numbers, `contains`. Not:
 * `ne` and ranges (containment only says equality), timestamps (equal as instants,
 * whatever the offset, not as texts), `exists` (`jsonb_path_ops` does not serve `?`).
 * A name or string no jsonb can hold (a lone surrogate, NUL: PostgreSQL refuses both)
 * is in no stored resource: it gives no object rather than a query that fails.
 */
export function attributeContainment (leaf: Filter): string[] | undefined {
  switch (leaf.op) {
    case 'attribute_compare':
      if (leaf.cmp !== 'eq' || leaf.type === 'timestamp' || leaf.type === 'list') return undefined
      return objectsOf(leaf.attribute, [leaf.value])
    case 'attribute_in':
      if (leaf.type === 'timestamp') return undefined
      return objectsOf(leaf.attribute, leaf.values)
    case 'attribute_contains':
      return storable(leaf.attribute) && storable(leaf.value) ? [objectText(leaf.attribute, [leaf.value])] : []
    default: return undefined
  }
}

/** `{"name": value}` for each value a jsonb can hold, as JSON texts. */
function objectsOf (name: string, values: ReadonlyArray<string | number | boolean>): string[] {
  if (!storable(name)) return []
  return values.filter(v => typeof v !== 'string' || storable(v)).map(v => objectText(name, v))
}

function objectText (name: string, value: string | number | boolean | string[]): string {
  return `{${JSON.stringify(name)}:${JSON.stringify(value)}}`
}

/** A lone surrogate, which jsonb refuses. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Whether a jsonb string can hold `text` (no lone surrogate, no NUL). */
function storable (text: string): boolean {
  return !LONE_SURROGATE.test(text) && !text.includes('\u0000')
}

const SQL_CMP: Record<AttributeComparison, string> = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' }

/** The SQL type a value of each attribute type is compared as. */
const SQL_TYPE: Record<AttributeType, string> = { string: 'text', enum: 'text', number: 'numeric', boolean: 'boolean', timestamp: 'timestamptz', list: 'text[]' }

function typedParam (value: string | number | boolean, type: AttributeType): SqlPart[] {
  return [{ param: value }, `::${SQL_TYPE[type]}`]
}

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
      case 'acl_governed': return [`(${this.acl().holder} IS NOT NULL)`]
      case 'acl_allows': {
        // `IS TRUE` / `IS NOT TRUE`: a row without holder (NULL) is in neither list, two-valued.
        const a = this.acl()
        return ['((', a.holder, ' IN (', ...this.aclEntries(a, f, 'allow'), ')) IS TRUE AND (', a.holder, ' IN (', ...this.aclEntries(a, f, 'deny'), ')) IS NOT TRUE)']
      }
      case 'relation_contains_any': {
        const r = this.relation(f.relation)
        if (r.kind === 'column') return [`${r.column} = ANY(`, { param: f.values }, ')']
        if (r.kind === 'array') return [`${r.column} && `, { param: f.values }]
        return this.joins(r, [f])
      }
      case 'attribute_compare': {
        const a = this.attribute(f.attribute)
        const indexed = this.containment(a, f)
        if (indexed !== undefined) return indexed
        const ordered = f.cmp !== 'eq' && f.cmp !== 'ne'
        return ['(', ...this.attributeValue(a, f.attribute, f.type, ordered), ` ${SQL_CMP[f.cmp]} `, ...typedParam(f.value, f.type), ')']
      }
      case 'attribute_in': {
        const a = this.attribute(f.attribute)
        const indexed = this.containment(a, f)
        if (indexed !== undefined) return indexed
        return ['(', ...this.attributeValue(a, f.attribute, f.type, false), ' = ANY(', { param: f.values }, `::${SQL_TYPE[f.type]}[]))`]
      }
      case 'attribute_contains': {
        const a = this.attribute(f.attribute)
        // `@>`, not `= ANY`: a GIN index on the array column serves it. The cast is none
        // on a `text[]` column and lets a `varchar[]` one compare (unindexed).
        return this.containment(a, f) ?? [`(${a.column}::text[] @> ARRAY[`, { param: f.value }, '::text])']
      }
      case 'attribute_exists': {
        const a = this.attribute(f.attribute)
        if (a.kind === 'column') return [`(${a.column} IS NOT NULL)`]
        return ['(', ...this.jsonbValue(a.column, f.attribute), ' IS NOT NULL)']
      }
    }
  }

  /**
   * The attribute's value as SQL of the type the plan compares it as, NULL when the row
   * lacks it (or, in a jsonb column, holds a value of another JSON type: `CASE` rather
   * than `AND`, because SQL does not promise to evaluate the guard before the cast).
   * Strings are ordered by code point (`COLLATE "C"`, when `ordered`), not by the
   * database's collation (the engine's order); timestamps compare as instants, to the
   * microsecond. A caller's column is compared as it is otherwise, so that its
   * indexes serve.
   */
  attributeValue (a: CheckedAttribute, name: string, type: AttributeType, ordered: boolean): SqlPart[] {
    if (a.kind === 'column') {
      if (type === 'timestamp') return [`${a.column}::timestamptz`]
      if (ordered && (type === 'string' || type === 'enum')) return [`${a.column}::text COLLATE "C"`]
      return [a.column]
    }
    const v = this.jsonbValue(a.column, name)
    switch (type) {
      case 'number': return ['(CASE WHEN jsonb_typeof(', ...v, ') = \'number\' THEN (', ...v, ')::numeric END)']
      case 'boolean': return ['(CASE WHEN jsonb_typeof(', ...v, ') = \'boolean\' THEN (', ...v, ')::boolean END)']
      case 'timestamp': return ['gh_timestamptz(CASE WHEN jsonb_typeof(', ...v, ') = \'string\' THEN ', a.column, ' ->> ', { param: name }, '::text END)']
      default: return ['(CASE WHEN jsonb_typeof(', ...v, ') = \'string\' THEN ', a.column, ' ->> ', { param: name }, '::text END) COLLATE "C"']
    }
  }

  /** `leaf` as containment when its attribute lives in a jsonb column and containment says it exactly (`attributeContainment`). */
  containment (a: CheckedAttribute, leaf: Filter): SqlPart[] | undefined {
    if (a.kind !== 'jsonb') return undefined
    const objects = attributeContainment(leaf)
    return objects === undefined ? undefined : this.contains(a.column, objects)
  }

  /**
   * `column @> $n::jsonb` (one object) or `column @> ANY($n::jsonb[])`: the form a GIN
   * index on the column serves (the store's `resources_attributes_idx`). `FALSE` for no
   * object (values no jsonb can hold).
   */
  contains (column: string, objects: readonly string[]): SqlPart[] {
    if (objects.length === 0) return ['FALSE']
    if (objects.length === 1) return ['(', column, ' @> ', { param: objects[0] }, '::jsonb)']
    return ['(', column, ' @> ANY(', { param: objects }, '::jsonb[]))']
  }

  /** `column -> 'name'`, the name a parameter. */
  jsonbValue (column: string, name: string): SqlPart[] {
    return ['(', column, ' -> ', { param: name }, '::text)']
  }

  attribute (name: string): CheckedAttribute {
    const a = this.mapping.attributes.get(name)
    if (a === undefined) throw new PlanSqlError('unmapped_attribute', `the plan filters on attribute \`${name}\`, which the mapping does not map`)
    return a
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

  acl (): CheckedAcl {
    const a = this.mapping.acl
    if (a === undefined) throw new PlanSqlError('unmapped_attribute', 'the plan filters on resource ACLs, which the mapping does not map (`acl`)')
    return a
  }

  /** The holders of the ACLs in which an applying entry has `effect` on the leaf's action. */
  aclEntries (a: CheckedAcl, leaf: Extract<Filter, { op: 'acl_allows' }>, effect: 'allow' | 'deny'): SqlPart[] {
    const alias = `"gh_a${this.#aliases++}"`
    const parts: SqlPart[] = [`SELECT ${alias}.${a.entryHolder} FROM ${a.table} AS ${alias} WHERE `]
    for (const [column, value] of a.where) parts.push(`${alias}.${column} = `, { param: value }, ' AND ')
    parts.push(
      `${alias}.${a.who} = ANY(`, { param: leaf.who }, `) AND ${alias}.${a.action} = `, { param: leaf.action },
      ` AND ${alias}.${a.effect} = `, { param: effect }, ` AND (${alias}.${a.when} IS NULL`
    )
    if (leaf.when !== undefined) parts.push(` OR ${alias}.${a.when} = ANY(`, { param: leaf.when }, ')')
    parts.push(')')
    return parts
  }

  relation (name: string): CheckedRelation {
    const r = this.mapping.relations.get(name)
    if (r === undefined) throw new PlanSqlError('unmapped_attribute', `the plan filters on relation \`${name}\`, which the mapping does not map`)
    return r
  }
}
