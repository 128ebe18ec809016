/**
 * The one shape toolkit of gatehouse's input formats (the bundle, the policy-test suite):
 * a format is one TypeBox definition, and this module turns it into a validator whose
 * problems are `Issue`s (JSON pointer, stable code, a message saying what and where), and
 * into the documented JSON Schema.
 *
 * TypeBox's compiled checker answers "is this value well formed" (the common case, fast);
 * only a value it refuses is walked to say why. TypeBox's own error list cannot say it the
 * way gatehouse does: it stops at the first bad entry of a map, names unions by their
 * keyword rather than by the value's type, and has no idea of what a node is called. The
 * walk reads the same schema (the subset of JSON Schema the formats use), so a keyword it
 * does not know still refuses the value through the compiled checker (`fallbackIssue`).
 *
 * Schema nodes carry their issue wording in an `issue` annotation (`IssueNote`), which
 * `documentedSchema` strips.
 */
import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Issue, IssueCode } from './issues.js'
import { child, jsonType, show } from './issues.js'
import { isRecord } from './own.js'

/**
 * How a schema node is named in messages and which code its failures carry. Templates
 * may use `{-1}`, `{-2}`, ... (the last, second last, ... token of the value's path, as
 * written), `{owner}` (the nearest enclosing node with `what`), `{label}` (this value's
 * name) and `{value}` (the value, shown).
 */
export interface IssueNote {
  /** How messages name this value ("action `{-1}` of module `{-3}`"); it then names its descendants' owner. */
  what?: string
  /** The code of a failure of the value's content (enum, const, pattern, union, ...); default `invalid_value`. A wrong JSON type is always `invalid_type`. */
  code?: IssueCode
  /** The message of such a failure. */
  message?: string
  /**
   * For a union with a `code`: the JSON type of the values checked inside the variant of
   * their type (`{ enum: [...] }` as an object); others are reported at the union with its
   * code. Default: lists and objects. A union without a code always checks inside.
   */
  descend?: 'object' | 'array'
}

/** A schema node as the walk reads it: JSON Schema keywords plus the `issue` annotation. */
interface Node {
  type?: string
  enum?: readonly unknown[]
  const?: unknown
  properties?: Readonly<Record<string, Node>>
  required?: readonly string[]
  additionalProperties?: Node | boolean
  propertyNames?: Node
  minProperties?: number
  items?: Node
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minLength?: number
  pattern?: string
  anyOf?: readonly Node[]
  oneOf?: readonly Node[]
  default?: unknown
  issue?: IssueNote
}

/** Where the walk stands: the value's path, its name in messages and its owner's. */
interface Place {
  path: string
  tokens: ReadonlyArray<string | number>
  label: string
  owner: string
  /** The value is an entry of a list: a wrong type reads "entries of ... must be strings". */
  entry: boolean
}

const TYPE_NAMES: Record<string, [one: string, many: string]> = {
  object: ['an object', 'objects'],
  array: ['a list', 'lists'],
  string: ['a string', 'strings'],
  boolean: ['a boolean', 'booleans'],
  number: ['a number', 'numbers']
}

/** A format: its validator, compiled once, and its documented schema. */
export interface Format<T extends TSchema> {
  readonly schema: T
  /**
   * Every structural problem of `value`, in document order; empty when it is well formed
   * (`check` is the word on that: a value it refuses is never accepted).
   */
  issues: (value: unknown) => Issue[]
  /** Whether `value` is well formed (no issue). */
  check: (value: unknown) => value is Static<T>
}

/** Compiles `schema` (a TypeBox definition annotated with `issue` notes) into a format. */
export function defineFormat<T extends TSchema> (schema: T): Format<T> {
  const compiled = Compile(schema)
  const check = (value: unknown): value is Static<T> => compiled.Check(value)
  return {
    schema,
    check,
    issues (value) {
      if (check(value)) return []
      const issues: Issue[] = []
      const root = schema as Node
      walk(root, value, { path: '', tokens: [], label: root.issue?.what ?? 'the document', owner: root.issue?.what ?? 'the document', entry: false }, issues)
      if (issues.length === 0) issues.push(...compiled.Errors(value).map(fallbackIssue))
      return inDocumentOrder(value, issues)
    }
  }
}

/**
 * The issue of a value the compiled checker refuses and the walk found nothing in: a
 * keyword the walk does not read. Fails closed, with TypeBox's words.
 */
function fallbackIssue (error: { instancePath: string, message: string }): Issue {
  return { path: error.instancePath, code: 'invalid_value', message: `the value does not have the documented shape: ${error.message}` }
}

function resolve (template: string, at: Place, value: unknown): string {
  return template.replace(/\{(-\d+|owner|label|value)\}/g, (_, key: string) => {
    if (key === 'owner') return at.owner
    if (key === 'label') return at.label
    if (key === 'value') return show(value)
    return String(at.tokens.at(Number(key)))
  })
}

/** The JSON Schema type of `value` as the checks compare it. */
function typeOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** The JSON type a node accepts, also for an `enum` or `const` node without `type`. */
function acceptedType (node: Node): string | undefined {
  if (node.type !== undefined) return node.type
  const types = new Set(node.enum?.map(typeOf))
  return types.size === 1 ? [...types][0] : undefined
}

function content (node: Node, at: Place, value: unknown, fallback: string, issues: Issue[]): void {
  const note = node.issue
  issues.push({ path: at.path, code: note?.code ?? 'invalid_value', message: note?.message === undefined ? fallback : resolve(note.message, at, value) })
}

const listed = (values: readonly unknown[]): string => {
  const shown = values.map(v => `\`${String(v)}\``)
  return shown.length < 2 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1) as string}`
}

function walk (node: Node, value: unknown, at: Place, issues: Issue[]): void {
  const variants = node.anyOf ?? node.oneOf
  if (variants !== undefined) {
    walkUnion(node, variants, value, at, issues)
    return
  }
  if (node.type !== undefined && node.type !== typeOf(value)) {
    const [one, many] = TYPE_NAMES[node.type as string] as [string, string]
    const message = at.entry ? `${at.label} must be ${many}, not ${jsonType(value)}` : `${at.label} must be ${one}, not ${jsonType(value)}`
    issues.push({ path: at.path, code: 'invalid_type', message })
    return
  }
  if (node.enum !== undefined && !node.enum.includes(value)) {
    content(node, at, value, `invalid value ${show(value)} of ${at.label}: expected ${listed(node.enum)}`, issues)
    return
  }
  if (node.const !== undefined && node.const !== value) {
    content(node, at, value, `invalid value ${show(value)} of ${at.label}: expected ${listed([node.const])}`, issues)
    return
  }
  if (typeof value === 'string') walkString(node, value, at, issues)
  else if (Array.isArray(value)) walkList(node, value, at, issues)
  else if (isRecord(value)) walkObject(node, value, at, issues)
}

function walkString (node: Node, value: string, at: Place, issues: Issue[]): void {
  if (node.minLength !== undefined && value.length < node.minLength) {
    content(node, at, value, `${at.label} must not be empty`, issues)
  } else if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) {
    content(node, at, value, `${at.label} ${show(value)} does not have the expected form`, issues)
  }
}

function walkList (node: Node, list: readonly unknown[], at: Place, issues: Issue[]): void {
  if (node.minItems !== undefined && list.length < node.minItems) {
    content(node, at, list, node.minItems === 1 ? `${at.label} must not be an empty list` : `${at.label} must hold at least ${node.minItems} entries`, issues)
  } else if (node.maxItems !== undefined && list.length > node.maxItems) {
    content(node, at, list, `${at.label} must hold at most ${node.maxItems} entries`, issues)
  }
  const items = node.items
  if (items === undefined) return
  const seen = new Set<string>()
  list.forEach((entry, i) => {
    const entryAt: Place = { path: child(at.path, i), tokens: [...at.tokens, i], label: `entries of ${at.label}`, owner: at.owner, entry: true }
    const before = issues.length
    walk(items, entry, entryAt, issues)
    if (node.uniqueItems !== true || issues.length > before) return
    const key = JSON.stringify(entry)
    if (seen.has(key)) issues.push({ path: entryAt.path, code: 'duplicate_entry', message: `duplicate entry ${show(entry)} in ${at.label}` })
    seen.add(key)
  })
}

function walkObject (node: Node, object: Record<string, unknown>, at: Place, issues: Issue[]): void {
  const properties = node.properties ?? {}
  for (const [key, value] of Object.entries(object)) {
    const path = child(at.path, key)
    const tokens = [...at.tokens, key]
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined
    if (property !== undefined) {
      if (value === undefined) continue
      const label = property.issue?.what === undefined
        ? at.tokens.length === 0 ? `\`${key}\`` : key === 'description' ? `the description of ${at.owner}` : `\`${key}\` of ${at.owner}`
        : resolve(property.issue.what, { path, tokens, label: '', owner: at.owner, entry: false }, value)
      walk(property, value, { path, tokens, label, owner: property.issue?.what === undefined ? at.owner : label, entry: false }, issues)
      continue
    }
    const extra = node.additionalProperties
    if (extra === false) {
      issues.push({ path, code: 'unknown_property', message: `unknown property \`${key}\` in ${at.label}` })
      continue
    }
    if (node.propertyNames !== undefined) walk(node.propertyNames, key, { path, tokens, label: `the key \`${key}\` of ${at.label}`, owner: at.owner, entry: false }, issues)
    if (typeof extra !== 'object') continue
    const label = extra.issue?.what === undefined
      ? `\`${key}\` in ${at.label}`
      : resolve(extra.issue.what, { path, tokens, label: '', owner: at.owner, entry: false }, value)
    walk(extra, value, { path, tokens, label, owner: extra.issue?.what === undefined ? at.owner : label, entry: false }, issues)
  }
  for (const key of node.required ?? []) {
    if (object[key] === undefined) issues.push({ path: child(at.path, key), code: 'missing_property', message: `${at.label} lacks required property \`${key}\`` })
  }
  if (node.minProperties !== undefined && Object.keys(object).length < node.minProperties) {
    content(node, at, object, `${at.label} must not be empty`, issues)
  }
}

/**
 * A union: fine when one variant takes the value; else the problems inside the one
 * variant of the value's JSON type (a list of relations for a list; see `descend`), or
 * one issue at the union.
 */
function walkUnion (node: Node, variants: readonly Node[], value: unknown, at: Place, issues: Issue[]): void {
  if (variants.some(v => isValid(v, value, at))) return
  const type = typeOf(value)
  const ofType = variants.filter(v => acceptedType(v) === type)
  const [only] = ofType
  const inside = node.issue?.code === undefined || ((type === 'object' || type === 'array') && (node.issue.descend ?? type) === type)
  if (ofType.length === 1 && only !== undefined && inside) {
    walk(only, value, at, issues)
    return
  }
  if (ofType.length === 0 && node.issue?.code === undefined) {
    const names = [...new Set(variants.map(v => TYPE_NAMES[acceptedType(v) ?? '']?.[0]).filter(n => n !== undefined))]
    issues.push({ path: at.path, code: 'invalid_type', message: `${at.label} must be ${names.join(' or ')}, not ${jsonType(value)}` })
    return
  }
  content(node, at, value, `invalid value ${show(value)} of ${at.label}`, issues)
}

function isValid (node: Node, value: unknown, at: Place): boolean {
  const probe: Issue[] = []
  walk(node, value, at, probe)
  return probe.length === 0
}

/**
 * `issues` in the order of the document: by where their paths lead in `value` (keys in
 * their written order, list entries by index; a missing property after the present ones),
 * an enclosing value before what it holds, and as found for the same path.
 */
export function inDocumentOrder (value: unknown, issues: readonly Issue[]): Issue[] {
  const ranks = issues.map(issue => documentRank(value, issue.path))
  return issues
    .map((issue, index) => ({ issue, index, rank: ranks[index] as number[] }))
    .sort((a, b) => compareRanks(a.rank, b.rank) || a.index - b.index)
    .map(({ issue }) => issue)
}

function documentRank (value: unknown, path: string): number[] {
  const rank: number[] = []
  let at: unknown = value
  for (const raw of path === '' ? [] : path.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (Array.isArray(at)) {
      rank.push(Number(token))
      at = at[Number(token)]
    } else if (isRecord(at)) {
      const keys = Object.keys(at)
      const i = keys.indexOf(token)
      rank.push(i < 0 ? keys.length : i)
      at = i < 0 ? undefined : at[token]
    } else {
      rank.push(0)
      at = undefined
    }
  }
  return rank
}

function compareRanks (a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * The JSON Schema of a format as documented (OpenAPI, editors): a plain copy without the
 * `issue` annotations, which no JSON Schema validator knows.
 */
export function documentedSchema (schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => key === 'issue' ? undefined : value)) as Record<string, unknown>
}

/**
 * `value` (well formed for `schema`) normalized: properties in the order the schema
 * declares them, optional properties equal to their documented `default` dropped, maps and
 * lists copied. A fresh value, whatever the caller does with the input afterwards.
 */
export function normalizeFormat<T extends TSchema> (schema: T, value: Static<T>): Static<T> {
  return normalize(schema as Node, value) as Static<T>
}

function normalize (node: Node, value: unknown): unknown {
  const variants = node.anyOf ?? node.oneOf
  if (variants !== undefined) {
    const variant = variants.find(v => acceptedType(v) === typeOf(value))
    return variant === undefined ? value : normalize(variant, value)
  }
  if (Array.isArray(value)) return node.items === undefined ? [...value] : value.map(v => normalize(node.items as Node, v))
  if (!isRecord(value)) return value
  const properties = node.properties
  if (properties === undefined) {
    const extra = typeof node.additionalProperties === 'object' ? node.additionalProperties : {}
    // `fromEntries` defines properties: a key `__proto__` stays a key.
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, normalize(extra, v)]))
  }
  const entries: Array<[string, unknown]> = []
  for (const [key, property] of Object.entries(properties)) {
    const v = value[key]
    if (v === undefined || (property.default !== undefined && JSON.stringify(v) === JSON.stringify(property.default))) continue
    entries.push([key, normalize(property, v)])
  }
  return Object.fromEntries(entries)
}
