/**
 * The one shape toolkit of gatehouse's input formats (the bundle, the subject document, a
 * resource's ACL, the policy-test suite):
 * a format is one TypeBox definition (plain JSON Schema underneath), and `defineFormat`
 * compiles it, once, into a validator whose problems are `Issue`s (JSON pointer, stable
 * code, a message saying what and where) and whose result is the value normalized; and
 * `documentedSchema` gives the JSON Schema to publish.
 *
 * Why not TypeBox's own checker: its error list stops at the first bad entry of a map,
 * names unions by their keyword rather than by the value's type, and knows no names for
 * what it checks; and checking, then walking again to normalize, cost twice the hand-written
 * validator this replaced. The compiled closures here check, explain and normalize in one
 * pass; a keyword they do not implement is refused when the format is defined, never
 * ignored. Test code checks with TypeBox's compiler and Ajv that the three agree.
 *
 * Schema nodes carry their issue wording in an `issue` annotation (`IssueNote`), which
 * `documentedSchema` strips (merging in what its `documented` note says is checked elsewhere).
 */
import type { Static, TSchema } from 'typebox'
import type { Checked, Issue, IssueCode } from './issues.js'
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
  /**
   * The code of a failure of the value's content (enum, const, pattern, union, ...); default
   * `invalid_value`. A wrong JSON type is always `invalid_type`; an empty string where a
   * `pattern` also applies is always the generic ``{label} must not be empty``.
   */
  code?: IssueCode
  /** The message of such a failure. */
  message?: string
  /**
   * For a union with a `code`: the JSON type of the values checked inside the variant of
   * their type (`{ enum: [...] }` as an object); others are reported at the union with its
   * code. Default: lists and objects. A union without a code always checks inside.
   */
  descend?: 'object' | 'array'
  /** What a wrong JSON type's message says is expected (`a \`type/id\` string or an object`), in place of the type's name. */
  expected?: string
  /** Whether an unknown property's message lists the accepted keys (`: expected \`a\`, \`b\``). */
  listKeys?: boolean
  /**
   * Keywords that only the documented schema carries, merged into this node there: what is
   * checked elsewhere (a format embedded whole, a rule across properties that a hand
   * check says in its own words). The validator reads none of it.
   */
  documented?: Readonly<Record<string, unknown>>
}

/** How a format's messages read. */
export interface FormatOptions {
  /** How messages name a value's JSON type (`an array`, `null`); default `jsonType` of issues.ts. For YAML authors, a list is `a list`. */
  jsonType?: (value: unknown) => string
  /**
   * `false`: check only. `check` then gives back the value as written, not a normalized
   * copy: for documents checked often and kept as they are (a subject, on every directory
   * write), where the copy would be made for nothing. Default `true`.
   */
  normalize?: boolean
}

/** A schema node as the compiler reads it: JSON Schema keywords plus the `issue` annotation. */
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
  default?: unknown
  issue?: IssueNote
}

/** Keywords that only document (or annotate) a node. */
const ANNOTATIONS = new Set(['description', 'title', 'default', 'issue', '$schema', '$id'])
const KEYWORDS = new Set(['type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'propertyNames', 'minProperties',
  'items', 'minItems', 'maxItems', 'uniqueItems', 'minLength', 'pattern', 'anyOf'])

/**
 * Where a value stands, for messages: built as the walk goes down (one small object per
 * value), read only when an issue is reported.
 */
interface Place {
  readonly parent: Place | undefined
  readonly key: string | number
  /** The node that names the value (for a union, the union, not the variant). */
  readonly node: Node
  /** Whether `key` is a declared property of the parent (else a map or list entry). */
  readonly declared: boolean
}

/** Checks `value` at `at`; returns it normalized, or `undefined` after reporting why it is not well formed. */
type Check = (value: unknown, at: Place, issues: Issue[]) => unknown

const TYPE_NAMES: Record<string, [one: string, many: string]> = {
  object: ['an object', 'objects'],
  array: ['a list', 'lists'],
  string: ['a string', 'strings'],
  boolean: ['a boolean', 'booleans'],
  number: ['a number', 'numbers']
}

/** A format: its definition, and its validator compiled once. */
export interface Format<T extends TSchema> {
  readonly schema: T
  /**
   * `value` normalized (properties in the order the schema declares them, optional ones
   * equal to their documented `default` dropped, a fresh copy), or every structural issue
   * in document order. With `normalize: false`, the value itself when it is well formed.
   */
  check: (value: unknown) => Checked<Static<T>>
}

/** Compiles `schema` (a TypeBox definition annotated with `issue` notes) into a format. Throws on a keyword it does not implement. */
export function defineFormat<T extends TSchema> (schema: T, options: FormatOptions = {}): Format<T> {
  const root = schema as Node
  const check = compile(root, { typeName: options.jsonType ?? jsonType, normalize: options.normalize ?? true })
  return {
    schema,
    check (value) {
      const issues: Issue[] = []
      const out = check(value, { parent: undefined, key: '', node: root, declared: false }, issues)
      return issues.length === 0 ? { ok: true, value: out as Static<T> } : { ok: false, issues: inDocumentOrder(value, issues) }
    }
  }
}

/** The JSON pointer of `at` (built only for an issue: most values have none). */
function pathOf (at: Place): string {
  return at.parent === undefined ? '' : child(pathOf(at.parent), at.key)
}

/** The path tokens of `at`, root first. */
function tokensOf (at: Place): Array<string | number> {
  const tokens: Array<string | number> = []
  for (let p: Place | undefined = at; p?.parent !== undefined; p = p.parent) tokens.unshift(p.key)
  return tokens
}

function resolve (template: string, at: Place, value: unknown): string {
  const tokens = tokensOf(at)
  return template.replace(/\{(-\d+|owner|label|value)\}/g, (_, key: string) => {
    if (key === 'owner') return ownerOf(at)
    if (key === 'label') return labelOf(at)
    if (key === 'value') return show(value)
    return String(tokens.at(Number(key)))
  })
}

/** How messages name the value at `at`. */
function labelOf (at: Place): string {
  const what = at.node.issue?.what
  if (what !== undefined) return resolve(what, at, undefined)
  const parent = at.parent
  if (parent === undefined) return 'the document'
  if (typeof at.key === 'number') return `entries of ${labelOf(parent)}`
  if (!at.declared) return `\`${at.key}\` in ${labelOf(parent)}`
  if (parent.parent === undefined) return `\`${at.key}\``
  return at.key === 'description' ? `the description of ${ownerOf(parent)}` : `\`${at.key}\` of ${ownerOf(parent)}`
}

/** The name of the nearest value at or above `at` whose node has `what` (the root else). */
function ownerOf (at: Place): string {
  return at.node.issue?.what !== undefined || at.parent === undefined ? labelOf(at) : ownerOf(at.parent)
}

/** The JSON Schema type of `value` as the checks compare it. */
function typeOf (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** The JSON type a node accepts, also for an `enum` node without `type`. */
function acceptedType (node: Node): string | undefined {
  if (node.type !== undefined) return node.type
  const types = new Set(node.enum?.map(typeOf))
  return types.size === 1 ? [...types][0] : undefined
}

/** Reports a failure of the value's content: the node's code and message, else `fallback`. */
function content (node: Node, at: Place, value: unknown, fallback: () => string, issues: Issue[]): undefined {
  const note = node.issue
  issues.push({ path: pathOf(at), code: note?.code ?? 'invalid_value', message: note?.message === undefined ? fallback() : resolve(note.message, at, value) })
  return undefined
}

const listed = (values: readonly unknown[]): string => {
  const shown = values.map(v => `\`${String(v)}\``)
  return shown.length < 2 ? shown.join('') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1) as string}`
}

/** What every node of a format is compiled with: how messages name a value's JSON type, and whether values are copied normalized. */
interface Context {
  readonly typeName: (value: unknown) => string
  readonly normalize: boolean
}

function compile (node: Node, ctx: Context): Check {
  for (const key of Object.keys(node)) {
    if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key)) throw new Error(`format-check: the keyword \`${key}\` is not implemented`)
  }
  if (node.anyOf !== undefined) return compileUnion(node, node.anyOf, ctx)
  const inner = node.type === 'object' ? compileObject(node, ctx) : node.type === 'array' ? compileList(node, ctx) : node.type === 'string' ? compileString(node) : (value: unknown) => value
  const type = node.type
  const values = node.enum ?? (node.const === undefined ? undefined : [node.const])
  if (type === undefined && values === undefined) return inner
  return (value, at, issues) => {
    if (type !== undefined && typeOf(value) !== type) {
      const [one, many] = TYPE_NAMES[type] as [string, string]
      const expected = node.issue?.expected ?? (typeof at.key === 'number' && at.node.issue?.what === undefined ? many : one)
      issues.push({ path: pathOf(at), code: 'invalid_type', message: `${labelOf(at)} must be ${expected}, not ${ctx.typeName(value)}` })
      return undefined
    }
    if (values !== undefined && !values.includes(value)) return content(node, at, value, () => `invalid value ${show(value)} of ${labelOf(at)}: expected ${listed(values)}`, issues)
    return inner(value, at, issues)
  }
}

function compileString (node: Node): Check {
  const { minLength, pattern } = node
  const regexp = pattern === undefined ? undefined : new RegExp(pattern, 'u')
  if (minLength === undefined && regexp === undefined) return value => value
  return (value, at, issues) => {
    const text = value as string
    if (minLength !== undefined && text.length < minLength) {
      // With a pattern, the note is the pattern's: an empty string is just empty.
      if (regexp !== undefined) return content({}, at, value, () => `${labelOf(at)} must not be empty`, issues)
      return content(node, at, value, () => `${labelOf(at)} must not be empty`, issues)
    }
    if (regexp !== undefined && !regexp.test(text)) return content(node, at, value, () => `${labelOf(at)} ${show(value)} does not have the expected form`, issues)
    return value
  }
}

function compileList (node: Node, ctx: Context): Check {
  const { minItems, maxItems, uniqueItems } = node
  const items = node.items === undefined ? undefined : compile(node.items, ctx)
  const itemNode = node.items ?? {}
  const { normalize } = ctx
  return (value, at, issues) => {
    const list = value as unknown[]
    let ok = true
    if (minItems !== undefined && list.length < minItems) {
      content(node, at, value, () => minItems === 1 ? `${labelOf(at)} must not be an empty list` : `${labelOf(at)} must hold at least ${minItems} entries`, issues)
      ok = false
    } else if (maxItems !== undefined && list.length > maxItems) {
      content(node, at, value, () => `${labelOf(at)} must hold at most ${maxItems} entries`, issues)
      ok = false
    }
    const out: unknown[] = []
    // Short lists of strings (most lists of names) look back instead: no set to allocate.
    const seen = uniqueItems === true && list.length > SHORT_LIST ? new Set<unknown>() : undefined
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]
      if (items !== undefined) {
        const entryAt: Place = { parent: at, key: i, node: itemNode, declared: false }
        const before = issues.length
        items(entry, entryAt, issues)
        if (issues.length > before) {
          ok = false
          continue
        }
        if (uniqueItems === true) {
          const key = typeof entry === 'string' ? entry : JSON.stringify(entry)
          if (seen === undefined ? repeats(list, i, key) : seen.has(key)) {
            issues.push({ path: pathOf(entryAt), code: 'duplicate_entry', message: `duplicate entry ${show(entry)} in ${labelOf(at)}` })
            ok = false
            continue
          }
          seen?.add(key)
        }
      }
      if (normalize) out.push(entry)
    }
    return ok ? (normalize ? out : list) : undefined
  }
}

/** Lists up to this long are checked for repeats by looking back. */
const SHORT_LIST = 16

/** Whether an entry before `i` of `list` has the uniqueness key `key` (an entry's string, else its JSON). */
function repeats (list: readonly unknown[], i: number, key: string): boolean {
  for (let j = 0; j < i; j++) {
    const other = list[j]
    if ((typeof other === 'string' ? other : JSON.stringify(other)) === key) return true
  }
  return false
}

function compileObject (node: Node, ctx: Context): Check {
  const properties = Object.entries(node.properties ?? {}).map(([key, property], index) => ({ key, index, property, check: compile(property, ctx), fallback: property.default }))
  const byKey = new Map(properties.map(p => [p.key, p]))
  const required = node.required ?? []
  const extraNode = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined
  const extra = extraNode === undefined ? undefined : compile(extraNode, ctx)
  const closed = node.additionalProperties === false
  const accepted = node.issue?.listKeys === true ? `: expected ${properties.map(p => `\`${p.key}\``).join(', ')}` : ''
  const names = node.propertyNames === undefined ? undefined : compile(node.propertyNames, ctx)
  const namesNode = node.propertyNames ?? {}
  const { minProperties } = node
  const { normalize } = ctx
  return (value, at, issues) => {
    const object = value as Record<string, unknown>
    const before = issues.length
    // Declared properties by their index in the schema; other keys go to `out` in written order.
    const values: unknown[] = []
    const out: Record<string, unknown> = {}
    for (const key in object) {
      const v = object[key]
      const property = byKey.get(key)
      if (property !== undefined) {
        if (v === undefined) continue
        const checked = property.check(v, { parent: at, key, node: property.property, declared: true }, issues)
        if (normalize) values[property.index] = checked
      } else if (closed) {
        issues.push({ path: child(pathOf(at), key), code: 'unknown_property', message: `unknown property \`${key}\` in ${labelOf(at)}${accepted}` })
      } else {
        if (names !== undefined) names(key, { parent: at, key, node: namesNode, declared: false }, issues)
        const checked = extra === undefined ? v : extra(v, { parent: at, key, node: extraNode as Node, declared: false }, issues)
        if (normalize) define(out, key, checked)
      }
    }
    for (const key of required) {
      if (object[key] === undefined) issues.push({ path: child(pathOf(at), key), code: 'missing_property', message: `${labelOf(at)} lacks required property \`${key}\`` })
    }
    if (minProperties !== undefined && Object.keys(object).length < minProperties) content(node, at, value, () => `${labelOf(at)} must not be empty`, issues)
    if (issues.length > before) return undefined
    if (!normalize) return object
    if (properties.length === 0) return out
    const declared: Record<string, unknown> = {}
    for (const { key, index, fallback } of properties) {
      const v = values[index]
      if (v !== undefined && (fallback === undefined || !isDefault(v, fallback))) declared[key] = v
    }
    for (const key in out) define(declared, key, out[key])
    return declared
  }
}

/**
 * A union: the value of the first variant that takes it; else the problems inside the
 * one variant of the value's JSON type (a list of relations for a list; see `descend`),
 * or one issue at the union.
 */
function compileUnion (node: Node, variants: readonly Node[], ctx: Context): Check {
  const checks = variants.map(v => ({ node: v, type: acceptedType(v), check: compile(v, ctx), names: v.issue?.what !== undefined }))
  return (value, at, issues) => {
    const type = typeOf(value)
    for (const variant of checks) {
      if (variant.type !== undefined && variant.type !== type) continue
      const probe: Issue[] = []
      const out = variant.check(value, placeOf(at, variant), probe)
      if (probe.length === 0) return out
    }
    const ofType = checks.filter(v => v.type === type)
    const [only] = ofType
    const inside = node.issue?.code === undefined || ((type === 'object' || type === 'array') && (node.issue.descend ?? type) === type)
    if (ofType.length === 1 && only !== undefined && inside) return only.check(value, placeOf(at, only), issues)
    if (ofType.length === 0 && node.issue?.code === undefined) {
      const names = node.issue?.expected ?? [...new Set(checks.map(v => TYPE_NAMES[v.type ?? '']?.[0]).filter(n => n !== undefined))].join(' or ')
      issues.push({ path: pathOf(at), code: 'invalid_type', message: `${labelOf(at)} must be ${names}, not ${ctx.typeName(value)}` })
      return undefined
    }
    return content(node, at, value, () => `invalid value ${show(value)} of ${labelOf(at)}`, issues)
  }
}

/** Where a union's variant checks a value: a variant that names itself (`what`) names the values of its type; else the union does. */
function placeOf (at: Place, variant: { readonly node: Node, readonly names: boolean }): Place {
  return variant.names ? { ...at, node: variant.node } : at
}

/**
 * `issues` in the order of the document: by where their paths lead in `value` (keys in
 * their written order, list entries by index; a missing property after the present ones),
 * an enclosing value before what it holds, and as found for the same path.
 */
export function inDocumentOrder<T extends { readonly path: string }> (value: unknown, issues: readonly T[]): T[] {
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
 * `issue` annotations, which no JSON Schema validator knows, and with the keywords their
 * `documented` notes carry.
 */
export function documentedSchema (schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => {
    if (key === 'issue') return undefined
    const extra = isRecord(value) && isRecord(value.issue) ? (value.issue as IssueNote).documented : undefined
    return extra === undefined ? value : { ...value as Record<string, unknown>, ...extra }
  })) as Record<string, unknown>
}

/** Whether `value` is what `fallback`, an optional property's documented default, says absence means (an empty list or map included). */
function isDefault (value: unknown, fallback: unknown): boolean {
  if (Array.isArray(fallback)) return Array.isArray(value) && value.length === 0
  if (isRecord(fallback)) return isRecord(value) && Object.keys(value).length === 0
  return value === fallback
}

/** Sets `out[key]`; a key `__proto__` becomes a property, never the prototype. */
function define (out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
