/**
 * Suite and bundle texts (YAML, or JSON, which is YAML too) parsed together with their
 * source positions, so that a problem found in the parsed value, named by a JSON pointer,
 * is reported at a line and column of the text.
 */
import { Composer, isAlias, isMap, isNode, isScalar, isSeq, Lexer, LineCounter, Parser, YAMLParseError } from 'yaml'
import type { Document, YAMLError } from 'yaml'

/** A 1-based line and column in a text. */
export interface Position {
  line: number
  column: number
}

/** A parsed text: its JSON value, and where each part of that value was written. */
export interface ParsedSource {
  value: unknown
  /**
   * The position of the part named by `pointer` (RFC 6901): a scalar value where it is
   * written, a map or list entry where its key or item starts (`at: 'key'`: the key of a
   * map entry, whatever its value). A pointer that goes past what the text holds (a
   * missing property) gives the position of the deepest part that exists.
   */
  locate: (pointer: string, at?: 'key' | 'value') => Position
}

/** Where a problem with `code` at `pointer` is shown: an unknown key at the key, anything else at the value it is about. */
export function issuePosition (locate: ParsedSource['locate'], pointer: string, code: string | undefined): Position {
  return locate(pointer, code === 'unknown_property' ? 'key' : 'value')
}

/**
 * Issues in reading order, the one order of every loader's problems (bundle texts, suites,
 * diff inputs): by file (in order of first appearance), then line and column, then as
 * found (for a parsed value without lines, the engine's document order).
 */
export function sortIssues<T extends { file?: string, line?: number, column?: number }> (issues: readonly T[]): T[] {
  const files = [...new Set(issues.map(i => i.file))]
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => files.indexOf(a.issue.file) - files.indexOf(b.issue.file) ||
      (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.index - b.index)
    .map(({ issue }) => issue)
}

/** A syntax error of the text, as one lowercase line. */
export interface SyntaxProblem {
  message: string
  code: string
  position: Position
}

export type ParseResult = { ok: true, source: ParsedSource } | { ok: false, problems: SyntaxProblem[] }

/**
 * What one text may hold. Every YAML body of the API and every file of the CLI is read
 * here, on the one thread that also answers decisions, so the work a text can cost is
 * bounded before it is done: the largest shipped suite has about 8,000 lexical tokens,
 * 2,100 nodes and 6 levels; these limits are ten times that and more.
 */
export const YAML_LIMITS = {
  /** Lexical tokens (scalars, indicators, spaces, comments): bounds the parse itself. */
  tokens: 200_000,
  /** Scalars, maps, lists and aliases. */
  nodes: 50_000,
  /** Entries of one map. */
  keys: 10_000,
  /** Maps and lists nested in each other. */
  depth: 64,
  /** Aliases expanded per document: beyond this, a text is refused (the "billion laughs" guard). */
  aliases: 100
} as const

/** The codes of the problems that `YAML_LIMITS` raise, by limit. */
const LIMIT_CODES = {
  tokens: 'too_many_tokens',
  nodes: 'too_many_nodes',
  keys: 'too_many_keys',
  depth: 'too_deep'
} as const

/**
 * Parses a YAML 1.2 (core schema) or JSON text. Duplicate keys, several documents in one
 * text, unresolved or circular aliases, excessive aliases and texts past `YAML_LIMITS`
 * are syntax problems. Never throws. Linear in the text: the yaml library's own
 * duplicate-key check compares each key with every earlier one of its map, so keys are
 * checked here, with a set per map.
 */
export function parseSource (text: string): ParseResult {
  return attachParse(parseDetached(text))
}

/**
 * Where a node of the text was written, as plain arrays and numbers (compact, and cheap
 * to send between threads as JSON): offsets into the text, -1 when unknown.
 * - a scalar or an alias: its offset (a message about the value is shown there);
 * - a list: `[offset, 'l', items]`;
 * - a map: `[offset, 'm', [key, keyOffset, value, key, keyOffset, value, ...]]`;
 * - anything else (an empty value): `[offset]`.
 */
export type Placed = number | [number] | [number, 'l', Placed[]] | [number, 'm', Array<string | number | Placed>]

/**
 * `parseSource` as plain data that survives a `postMessage`, so that a large text can be
 * parsed on another thread (see `yaml-parse.ts`): the value, where each part of it was
 * written, and where each line starts.
 */
export type DetachedParse =
  | { ok: false, problems: SyntaxProblem[] }
  | { ok: true, value: unknown, placed: Placed, lineStarts: number[] }

/** The first half of `parseSource`: parse, check and place. Never throws. */
export function parseDetached (text: string): DetachedParse {
  const source = stripBom(text)
  const lineCounter = new LineCounter()
  const at = (offset: number): Position => positionIn(lineCounter, offset)
  let doc: Document.Parsed
  try {
    doc = composeBounded(source, lineCounter)
  } catch (err) {
    if (!(err instanceof LimitExceeded)) throw err
    return { ok: false, problems: [{ message: err.message, code: err.code, position: at(err.offset) }] }
  }
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map(err => syntaxProblem(err, at)) }
  }
  const root: unknown = doc.contents
  const problem = checkTree(root)
  if (problem !== undefined) return { ok: false, problems: [{ message: problem.message, code: problem.code, position: at(problem.offset) }] }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: YAML_LIMITS.aliases })
  } catch (err) {
    // Unresolved and circular aliases were refused above: what is left is the alias count.
    const message = err instanceof Error ? lowerFirst(err.message.split('\n')[0] ?? '') : 'the text cannot be read'
    return { ok: false, problems: [{ message, code: 'excessive_aliases', position: { line: 1, column: 1 } }] }
  }
  return { ok: true, value, placed: place(root), lineStarts: lineCounter.lineStarts }
}

/** The second half of `parseSource`: the parsed source of a detached parse. */
export function attachParse (parsed: DetachedParse): ParseResult {
  if (!parsed.ok) return parsed
  const lineCounter = new LineCounter()
  for (const start of parsed.lineStarts) lineCounter.lineStarts.push(start)
  const { placed } = parsed
  const maps = new WeakMap<object, Map<string, [number, Placed]>>()
  return { ok: true, source: { value: parsed.value, locate: (pointer, to = 'value') => positionIn(lineCounter, offsetOf(placed, pointer, to, maps)) } }
}

function positionIn (lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset)
  return { line, column: col }
}

/** Where each part of a checked tree (no duplicate keys, depth bounded) was written. */
function place (node: unknown): Placed {
  const at = rangeStart(node) ?? -1
  if (isMap(node)) {
    const entries: Array<string | number | Placed> = []
    for (const pair of node.items) {
      const key = keyText(pair.key)
      if (key !== undefined) entries.push(key, rangeStart(pair.key) ?? -1, place(pair.value))
    }
    return [at, 'm', entries]
  }
  if (isSeq(node)) return [at, 'l', node.items.map(place)]
  return isScalar(node) || isAlias(node) ? at : [at]
}

/** A limit of `YAML_LIMITS` crossed, at the offset where it was. */
class LimitExceeded extends Error {
  constructor (readonly code: string, message: string, readonly offset: number) {
    super(message)
  }
}

/**
 * The text's one document, composed from tokens counted as they are lexed, so that a text
 * past the token or depth limit costs no more than the limit (the parser's stack is the
 * nesting of the part being read: the yaml library recurses on it when composing, and a
 * few thousand levels exhaust the stack or the heap).
 */
function composeBounded (source: string, lineCounter: LineCounter): Document.Parsed {
  const parser = new Parser(lineCounter.addNewLine)
  const composer = new Composer({ uniqueKeys: false })
  const tokens = function * () {
    lineCounter.addNewLine(0)
    let count = 0
    for (const lexeme of new Lexer().lex(source)) {
      if (++count > YAML_LIMITS.tokens) {
        throw new LimitExceeded(LIMIT_CODES.tokens, `the text holds more than ${YAML_LIMITS.tokens} yaml tokens`, parser.offset)
      }
      yield * parser.next(lexeme)
      // The stack also holds the document and the part being read; the exact depth is checked on the tree.
      if (parser.stack.length > YAML_LIMITS.depth + 8) {
        throw new LimitExceeded(LIMIT_CODES.depth, `maps and lists are nested more than ${YAML_LIMITS.depth} levels deep`, parser.offset)
      }
    }
    yield * parser.end()
  }
  let doc: Document.Parsed | undefined
  for (const next of composer.compose(tokens(), true, source.length)) {
    if (doc === undefined) {
      doc = next
      continue
    }
    doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'))
    break
  }
  // INVARIANT: compose(…, forceDoc = true) yields at least one document.
  if (doc === undefined) throw new Error('the yaml composer yielded no document')
  return doc
}

interface TreeProblem { code: string, message: string, offset: number }

/**
 * The first problem of the composed tree in document order: a duplicate key (two keys
 * that would be the same property), an alias whose anchor is not set before it or that
 * is inside its own anchor's node, or a node, key or depth limit.
 */
function checkTree (root: unknown): TreeProblem | undefined {
  let nodes = 0
  // Anchors by name: `true` once their node is complete, `false` while it is being read.
  const anchors = new Map<string, boolean>()
  const visit = (node: unknown, depth: number): TreeProblem | undefined => {
    if (!isNode(node)) return undefined
    const offset = rangeStart(node) ?? 0
    if (++nodes > YAML_LIMITS.nodes) return { code: LIMIT_CODES.nodes, message: `the text holds more than ${YAML_LIMITS.nodes} yaml nodes`, offset }
    if (isAlias(node)) {
      const anchor = anchors.get(node.source)
      if (anchor === undefined) return { code: 'unresolved_alias', message: `unresolved alias \`*${node.source}\`: no anchor \`&${node.source}\` before it`, offset }
      if (!anchor) return { code: 'circular_alias', message: `alias \`*${node.source}\` is inside the node its anchor names`, offset }
      return undefined
    }
    const anchor = node.anchor
    if (anchor !== undefined) anchors.set(anchor, false)
    const problem = visitChildren(node, depth, offset)
    if (anchor !== undefined) anchors.set(anchor, true)
    return problem
  }
  const visitChildren = (node: unknown, depth: number, offset: number): TreeProblem | undefined => {
    if (!isMap(node) && !isSeq(node)) return undefined
    if (depth >= YAML_LIMITS.depth) return { code: LIMIT_CODES.depth, message: `maps and lists are nested more than ${YAML_LIMITS.depth} levels deep`, offset }
    if (isSeq(node)) {
      for (const item of node.items) {
        const problem = visit(item, depth + 1)
        if (problem !== undefined) return problem
      }
      return undefined
    }
    if (node.items.length > YAML_LIMITS.keys) return { code: LIMIT_CODES.keys, message: `a map holds more than ${YAML_LIMITS.keys} keys`, offset }
    const keys = new Set<string>()
    for (const pair of node.items) {
      const key = keyText(pair.key)
      if (key !== undefined) {
        if (keys.has(key)) return { code: 'duplicate_key', message: 'map keys must be unique', offset: rangeStart(pair.key) ?? offset }
        keys.add(key)
      }
      const problem = visit(pair.key, depth + 1) ?? visit(pair.value, depth + 1)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  return visit(root, 0)
}

/** The reference tokens of a JSON pointer, unescaped (`/a~1b/0` → `a/b`, `0`). */
export function pointerTokens (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map(t => t.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/**
 * The start offset of the deepest node on the pointer's way. Map entries are located at
 * their key, except that the last one, with `to: 'value'`, is located at its value when
 * that is a scalar (the value is what a message about it names). An alias is reported
 * where it is written, not where its anchor is.
 */
function offsetOf (root: Placed, pointer: string, to: 'key' | 'value', maps: WeakMap<object, Map<string, [number, Placed]>>): number {
  let node = root
  let offset = startOf(root) >= 0 ? startOf(root) : 0
  const tokens = pointerTokens(pointer)
  for (const [i, token] of tokens.entries()) {
    if (typeof node === 'number' || node.length === 1) break
    if (node[1] === 'm') {
      const entry = entriesOf(node, maps).get(token)
      if (entry === undefined) break
      const [keyAt, value] = entry
      const valueFirst = i === tokens.length - 1 && to === 'value' && typeof value === 'number'
      offset = [valueFirst ? startOf(value) : -1, keyAt, startOf(value)].find(at => at >= 0) ?? offset
      node = value
    } else {
      const item = /^(0|[1-9][0-9]*)$/.test(token) ? node[2][Number(token)] : undefined
      if (item === undefined) break
      if (startOf(item) >= 0) offset = startOf(item)
      node = item
    }
  }
  return offset
}

function startOf (placed: Placed): number {
  return typeof placed === 'number' ? placed : placed[0]
}

/** A map's entries by key, indexed on first use: a report may locate thousands of parts. */
function entriesOf (map: [number, 'm', Array<string | number | Placed>], cache: WeakMap<object, Map<string, [number, Placed]>>): Map<string, [number, Placed]> {
  let byKey = cache.get(map)
  if (byKey === undefined) {
    byKey = new Map()
    const entries = map[2]
    for (let i = 0; i + 2 < entries.length; i += 3) byKey.set(entries[i] as string, [entries[i + 1] as number, entries[i + 2] as Placed])
    cache.set(map, byKey)
  }
  return byKey
}

/** The property name a scalar key becomes in the JSON value; `undefined` for other keys. */
function keyText (key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value)
  return typeof key === 'string' ? key : undefined
}

function rangeStart (node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined
  const range = (node as { range?: unknown }).range
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined
}

function syntaxProblem (err: YAMLError, at: (offset: number) => Position): SyntaxProblem {
  const pos = err.linePos?.[0]
  const position = pos === undefined ? at(err.pos[0]) : { line: pos.line, column: pos.col }
  const first = err.message.split('\n')[0] ?? 'syntax error'
  return {
    message: lowerFirst(first.replace(/ at line \d+, column \d+:?$/, '').replace(/\.$/, '')),
    code: err.code.toLowerCase(),
    position
  }
}

function stripBom (text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function lowerFirst (text: string): string {
  return text.length === 0 ? text : `${text[0]?.toLowerCase() ?? ''}${text.slice(1)}`
}
