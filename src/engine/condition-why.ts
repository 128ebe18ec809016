/**
 * Why a condition did not hold, for `condition_failed` reasons: the parts that failed
 * and the values each part read. One rule for every operator and input: walk the tree
 * from the top, wanting it true; under `&&` and `||`, every argument that is not what is
 * wanted failed (under `&&` those that are not true, under `||` all of them); `!` wants
 * its argument false; a leaf that failed reports every value it read that the text does
 * not spell out (literals are in the text). Built only when a reason's message is read.
 */
import type { CompiledCondition, Condition, Operand, Span } from './condition.js'
import { FALSE, TRUE, truthOf, valueOf } from './condition-eval.js'
import type { ConditionInputs, ResourceFacts, Subject } from './model.js'

/** A value a failing part read: its operand and what it was (`undefined`: missing). */
export interface ReadValue {
  operand: Exclude<Operand, { src: 'literal' | 'list' }>
  value: unknown
}

/**
 * A part of the condition that failed. `text` is its source, `undefined` when the part
 * is the whole condition; `holds`: it failed by holding (under a `!`), else by not holding.
 */
export interface FailedPart {
  text: string | undefined
  holds: boolean
  values: ReadValue[]
}

/**
 * The parts of `condition` that made it fail for `subject`, `resource` and the request's
 * `inputs`, in the order they are written. The caller has seen it fail: its top is not true.
 */
export function failedParts (condition: CompiledCondition, subject: Subject, resource: ResourceFacts, inputs: ConditionInputs): FailedPart[] {
  const parts: FailedPart[] = []
  const walk = (node: Condition, wanted: boolean, part: { node: Condition, wanted: boolean } | undefined): void => {
    switch (node.op) {
      case 'and':
      case 'or':
        for (const arg of node.args) {
          if (truthOf(arg, subject, resource, inputs) !== (wanted ? TRUE : FALSE)) walk(arg, wanted, { node: arg, wanted })
        }
        return
      case 'not':
        walk(node.arg, !wanted, part ?? { node, wanted })
        return
    }
    const at = part ?? { node, wanted }
    parts.push({
      text: at.node === condition.root ? undefined : sourceOf(condition.text, at.node.span),
      // A part wanted false failed by holding, unless it was an error (neither true nor false).
      holds: !at.wanted && truthOf(at.node, subject, resource, inputs) === TRUE,
      values: readsOf(node).map(operand => ({ operand, value: valueOf(operand, subject, resource, inputs) }))
    })
  }
  walk(condition.root, true, undefined)
  return parts
}

/** The operands of a leaf that the text does not spell out, without repeats. */
function readsOf (node: Exclude<Condition, { op: 'and' | 'or' | 'not' }>): Array<ReadValue['operand']> {
  const operands = node.op === 'compare'
    ? [node.left, node.right]
    : node.op === 'in' ? [node.element, node.list] : node.op === 'const' ? [] : [node.operand]
  const reads: Array<ReadValue['operand']> = []
  for (const o of operands) {
    if (o.src !== 'literal' && o.src !== 'list' && !reads.some(r => sameOperand(r, o))) reads.push(o)
  }
  return reads
}

function sameOperand (a: ReadValue['operand'], b: ReadValue['operand']): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * The source of a node: its span, widened to the parentheses it opens or closes but
 * does not contain (cel-js ends `!(a)` before its `)`). Quoted strings are skipped when
 * counting. The whole text when the node has no span.
 */
export function sourceOf (text: string, span: Span | undefined): string {
  if (span === undefined) return text
  let [start, end] = span
  let depth = parenDepth(text.slice(start, end))
  for (; depth > 0; depth--) {
    const close = text.indexOf(')', end)
    if (close < 0) break
    end = close + 1
  }
  for (; depth < 0; depth++) {
    const open = text.lastIndexOf('(', start - 1)
    if (open < 0) break
    start = open
  }
  return text.slice(start, end).trim()
}

/** Opening minus closing parentheses outside quoted strings. */
function parenDepth (source: string): number {
  let depth = 0
  let quote = ''
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string
    if (quote !== '') {
      if (c === '\\') i++
      else if (c === quote) quote = ''
    } else if (c === '\'' || c === '"') {
      quote = c
    } else if (c === '(') {
      depth++
    } else if (c === ')') {
      depth--
    }
  }
  return depth
}
