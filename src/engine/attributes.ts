/**
 * Typed attributes (DESIGN.md §2, "Attributes and conditions"): what a module declares
 * of its resources (`attributes`) and a bundle of its subjects (`subject_attributes`),
 * compiled once, and the check of a value against its declared type, shared by resource
 * documents, subject documents and a request's `subject.properties`.
 */
import type { IssueSink } from './issues.js'
import { child, jsonType, show } from './issues.js'
import type { AttributeDef, AttributeType, AttributeValue } from './model.js'
import type { AttributeComparison } from './plan-format.js'

/** A declared attribute: its kind and, for an enum, the allowed values. */
export interface CompiledAttribute {
  name: string
  type: AttributeType
  /** The allowed values of an `enum`, in declaration order; empty for other types. */
  values: readonly string[]
}

/** The kind of a well-formed declaration. */
export function attributeType (def: AttributeDef): AttributeType {
  if (typeof def === 'string') return def
  return Array.isArray(def) ? 'list' : 'enum'
}

/** Declarations (already validated) by name. */
export function compileAttributes (defs: Readonly<Record<string, AttributeDef>> | undefined): ReadonlyMap<string, CompiledAttribute> {
  const out = new Map<string, CompiledAttribute>()
  for (const [name, def] of Object.entries(defs ?? {})) {
    const type = attributeType(def)
    out.set(name, { name, type, values: type === 'enum' ? (def as { enum: string[] }).enum : [] })
  }
  return out
}

/**
 * RFC 3339 date-time (`2026-12-07T19:32:27Z`; up to six fraction digits, PostgreSQL's
 * precision; an offset or `Z`; no leap second): what `timestamp` attributes hold and
 * `timestamp('...')` literals say.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

/**
 * The instant of an RFC 3339 timestamp as a UTC string of fixed shape
 * (`2026-12-07T18:32:27.000000Z`), so that instants compare as strings; `undefined` when
 * `text` is no valid timestamp of years 1 to 9999.
 */
export function instantOf (text: string): string | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const sign = m[8] === '-' ? -1 : 1
  const offset = m[8] === undefined ? 0 : sign * (Number(m[9]) * 60 + Number(m[10]))
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute - offset, second, 0)
  const iso = date.toISOString()
  // Years outside 1..9999 in UTC would not sort as strings.
  if (!/^\d{4}-/.test(iso) || iso.startsWith('0000')) return undefined
  return `${iso.slice(0, 19)}.${(m[7] ?? '').padEnd(6, '0')}Z`
}

function daysIn (year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * Strings in Unicode code point order (UTF-8 byte order, PostgreSQL's `COLLATE "C"`),
 * not JavaScript's UTF-16 code unit order: -1, 0 or 1.
 */
export function compareStrings (a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) < codePointRank(y) ? -1 : 1
  }
  return a.length < b.length ? -1 : 1
}

/** Surrogates (U+D800..U+DFFF, halves of code points above U+FFFF) rank above U+E000..U+FFFF. */
function codePointRank (unit: number): number {
  if (unit >= 0xE000) return unit - 0x800
  return unit >= 0xD800 ? unit + 0x2000 : unit
}

/** How two values of attribute type `type` compare, `undefined` when either is not of that type (a missing value included). */
export function orderOf (type: AttributeType, left: unknown, right: unknown): number | undefined {
  switch (type) {
    case 'number':
      if (typeof left !== 'number' || typeof right !== 'number' || Number.isNaN(left) || Number.isNaN(right)) return undefined
      return left === right ? 0 : left < right ? -1 : 1
    case 'boolean':
      if (typeof left !== 'boolean' || typeof right !== 'boolean') return undefined
      return left === right ? 0 : left ? 1 : -1
    case 'timestamp': {
      const a = typeof left === 'string' ? instantOf(left) : undefined
      const b = typeof right === 'string' ? instantOf(right) : undefined
      return a === undefined || b === undefined ? undefined : compareStrings(a, b)
    }
    case 'list': return undefined
    default:
      return typeof left === 'string' && typeof right === 'string' ? compareStrings(left, right) : undefined
  }
}

/** Comparison operators as plan filters name them. */
export type Comparison = AttributeComparison

/** Whether `left cmp right` holds for values of type `type`; false when either is missing or of another type (`ne` too). */
export function compareAttribute (type: AttributeType, left: unknown, cmp: Comparison, right: unknown): boolean {
  const order = orderOf(type, left, right)
  return order !== undefined && compares(cmp, order)
}

/** Whether an order (-1, 0, 1) satisfies a comparison. */
export function compares (cmp: Comparison, order: number): boolean {
  switch (cmp) {
    case 'eq': return order === 0
    case 'ne': return order !== 0
    case 'lt': return order < 0
    case 'le': return order <= 0
    case 'gt': return order > 0
    default: return order >= 0
  }
}

/**
 * Reports an attribute named like a relation of the module or a `reserved` property
 * (what makes a name readable by conditions is the bundle format's business).
 */
export function checkAttributeClash (sink: IssueSink, name: string, path: string, relations: readonly unknown[], reserved: readonly string[], what: string): void {
  if (relations.includes(name) || reserved.includes(name)) {
    sink.add(path, 'invalid_name', `attribute \`${name}\` in ${what} clashes with ${relations.includes(name) ? 'a relation' : 'a reserved property'} of the same name`)
  }
}

/** Names a resource attribute may not take besides the module's relations. */
export const RESOURCE_RESERVED: readonly string[] = ['project', 'parent', 'acl', 'id']
/** Names a subject attribute may not take. */
export const SUBJECT_RESERVED: readonly string[] = ['id', 'roles']

/**
 * `value` as a value of `attribute`, else an issue at `path` (`invalid_type` for a wrong
 * JSON type, `invalid_value` for a string that is no member of the enum or no RFC 3339
 * timestamp, a number that is not finite). `what` names the owner: "resource `INV-7`".
 */
export function attributeValue (sink: IssueSink, attribute: CompiledAttribute, value: unknown, path: string): AttributeValue | undefined {
  const name = `attribute \`${attribute.name}\``
  switch (attribute.type) {
    case 'string':
      if (typeof value === 'string') return value
      break
    case 'boolean':
      if (typeof value === 'boolean') return value
      break
    case 'number':
      if (typeof value !== 'number') break
      if (Number.isFinite(value)) return value
      sink.add(path, 'invalid_value', `${name} must be a finite number`)
      return undefined
    case 'timestamp':
      if (typeof value !== 'string') break
      if (instantOf(value) !== undefined) return value
      sink.add(path, 'invalid_value', `${name} must be an RFC 3339 timestamp (\`2026-12-07T10:00:00Z\`), not ${show(value)}`)
      return undefined
    case 'enum':
      if (typeof value !== 'string') break
      if (attribute.values.includes(value)) return value
      sink.add(path, 'invalid_value', `${name} must be one of ${attribute.values.map(v => `\`${v}\``).join(', ')}, not ${show(value)}`)
      return undefined
    default: {
      if (!Array.isArray(value)) break
      const bad = value.findIndex(v => typeof v !== 'string')
      if (bad < 0) return value as string[]
      sink.add(child(path, bad), 'invalid_type', `values of ${name} must be strings, not ${jsonType(value[bad])}`)
      return undefined
    }
  }
  sink.add(path, 'invalid_type', `${name} must be ${TYPE_NAMES[attribute.type]}, not ${jsonType(value)}`)
  return undefined
}

const TYPE_NAMES: Record<AttributeType, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  timestamp: 'an RFC 3339 timestamp string',
  enum: 'a string',
  list: 'a list of strings'
}
