/**
 * Suite and bundle texts (YAML, or JSON, which is YAML too) parsed together with their
 * source positions, so that a problem found in the parsed value, named by a JSON pointer,
 * is reported at a line and column of the text.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import type { YAMLError } from 'yaml'

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

/** A syntax error of the text, as one lowercase line. */
export interface SyntaxProblem {
  message: string
  code: string
  position: Position
}

export type ParseResult = { ok: true, source: ParsedSource } | { ok: false, problems: SyntaxProblem[] }

/** Aliases expanded per document: beyond this, a text is refused (the "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100

/**
 * Parses a YAML 1.2 (core schema) or JSON text. Duplicate keys, several documents in one
 * text and excessive aliases are syntax problems. Never throws.
 */
export function parseSource (text: string): ParseResult {
  const lineCounter = new LineCounter()
  const doc = parseDocument(stripBom(text), { lineCounter, uniqueKeys: true, prettyErrors: true, keepSourceTokens: true })
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map(err => syntaxProblem(err, at)) }
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    // yaml throws a ReferenceError past maxAliasCount; nothing else is expected here.
    const message = err instanceof Error ? lowerFirst(err.message.split('\n')[0] ?? '') : 'the text cannot be read'
    return { ok: false, problems: [{ message, code: 'excessive_aliases', position: { line: 1, column: 1 } }] }
  }
  const root: unknown = doc.contents
  return { ok: true, source: { value, locate: (pointer, to = 'value') => at(offsetOf(root, pointer, to)) } }
}

/** The reference tokens of a JSON pointer, unescaped (`/a~1b/0` → `a/b`, `0`). */
export function pointerTokens (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map(t => t.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/**
 * The start offset of the deepest node on the pointer's way. Map entries are located at
 * their key, except that the last one, with `to: 'value'`, is located at its value when
 * that is a scalar (the value is what a message about it names).
 */
function offsetOf (root: unknown, pointer: string, to: 'key' | 'value'): number {
  let node = root
  let offset = rangeStart(root) ?? 0
  const tokens = pointerTokens(pointer)
  for (const [i, token] of tokens.entries()) {
    // An alias is reported where it is written, not where its anchor is.
    if (isAlias(node)) break
    if (isMap(node)) {
      const pair = node.items.find(p => keyText(p.key) === token)
      if (pair === undefined) break
      const last = i === tokens.length - 1
      const valueFirst = last && to === 'value' && (isScalar(pair.value) || isAlias(pair.value))
      offset = (valueFirst ? rangeStart(pair.value) : undefined) ?? rangeStart(pair.key) ?? rangeStart(pair.value) ?? offset
      node = pair.value
    } else if (isSeq(node)) {
      const item = /^(0|[1-9][0-9]*)$/.test(token) ? node.items[Number(token)] : undefined
      if (item === undefined) break
      offset = rangeStart(item) ?? offset
      node = item
    } else {
      break
    }
  }
  return offset
}

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
