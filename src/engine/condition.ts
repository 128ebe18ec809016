/**
 * Conditions (`when`, DESIGN.md §2 "Attributes and conditions"): CEL text parsed and
 * type-checked by cel-js once, at import, then translated into the engine's own tree
 * (`Condition`), which `condition-eval.ts` evaluates and `condition-plan.ts` turns into
 * plan filters. The translation accepts exactly the subset that can be evaluated
 * without exceptions and planned exactly; anything else is refused with a message
 * naming the CEL column (docs/decisions/0006-conditions.md).
 */
import type { ASTNode } from '@marcbachmann/cel-js'
import { Environment } from '@marcbachmann/cel-js'
import type { CompiledAttribute, Comparison } from './attributes.js'
import { instantOf } from './attributes.js'
import type { AttributeType } from './model.js'

/** A value's static type: an attribute type, or `dyn` for action properties and context (known only at run time). */
export type ValueType = AttributeType | 'dyn'

/** Where a value comes from. `resource` operands are the ones plans turn into filters. */
export type Operand =
  | { src: 'literal', type: ValueType, value: string | number | boolean }
  | { src: 'list', type: 'list', element: ValueType, values: ReadonlyArray<string | number | boolean> }
  | { src: 'resource_attribute', type: AttributeType, name: string, values: readonly string[] }
  | { src: 'resource_relation', type: 'list', name: string }
  | { src: 'resource_id', type: 'string' }
  | { src: 'subject_attribute', type: AttributeType, name: string }
  | { src: 'subject_id', type: 'string' }
  | { src: 'subject_roles', type: 'list' }
  | { src: 'action' | 'context', type: 'dyn', path: readonly string[] }

/**
 * The condition tree. In `compare` and `in`, a resource operand is always `left` /
 * `element` or `list`, never both sides: what depends on the resource is compared with
 * something known when a plan is built.
 * - `compare`: `left cmp right` for values of `type` (`dyn`: both known at run time, of one JSON type).
 * - `in`: `element` is one of the values of `list` (a list literal, a `[string]`
 *   attribute, a relation, `subject.roles`, a dyn list).
 * - `has`: the operand has a value. `truth`: the operand is the boolean `true`.
 */
export type Condition = (
  | { op: 'const', value: boolean }
  | { op: 'and' | 'or', args: readonly Condition[] }
  | { op: 'not', arg: Condition }
  | { op: 'compare', cmp: Comparison, type: ValueType, left: Operand, right: Operand }
  | { op: 'in', type: ValueType, element: Operand, list: Operand }
  | { op: 'has', operand: Operand }
  | { op: 'truth', operand: Operand }
) & {
  /** Where the node is written in the condition's text (cel-js's range), so that a reason can quote the part that failed. */
  readonly span?: Span
}

/** A node's `[start, end)` in its condition's text, as cel-js gives it (parentheses around it may lie outside). */
export type Span = readonly [number, number]

/** A compiled `when`. */
export interface CompiledCondition {
  /** The CEL text as the bundle wrote it. */
  text: string
  root: Condition
  /** Whether any part reads the resource (else a plan decides it whole). */
  readsResource: boolean
}

/** What a condition may name: the module's attributes and relations, the subject's attributes. */
export interface ConditionScope {
  resource: { attributes: ReadonlyMap<string, CompiledAttribute>, relations: readonly string[] }
  /** `false`: the condition may not read the resource (an ACL entry's), though its names type-check. */
  readsResource: boolean
  subjectAttributes: ReadonlyMap<string, CompiledAttribute>
}

/** A refused condition: the message, with the CEL column. */
export type ConditionResult = { ok: true, condition: CompiledCondition } | { ok: false, message: string }

const CEL_TYPES: Record<AttributeType, string> = {
  string: 'string',
  enum: 'string',
  number: 'double',
  boolean: 'bool',
  timestamp: 'google.protobuf.Timestamp',
  list: 'list<string>'
}

/** The cel-js environment of a scope: `resource` and `subject` typed, `action` and `context` dyn maps. */
export function celEnvironment (scope: ConditionScope): Environment {
  const subject: Record<string, string> = { id: 'string', roles: 'list<string>' }
  for (const [name, a] of scope.subjectAttributes) subject[name] = CEL_TYPES[a.type]
  const resource: Record<string, string> = { id: 'string' }
  for (const relation of scope.resource.relations) resource[relation] = 'list<string>'
  for (const [name, a] of scope.resource.attributes) resource[name] = CEL_TYPES[a.type]
  return new Environment({ unlistedVariablesAreDyn: false, limits: { maxAstNodes: 512, maxDepth: 32 } })
    .registerVariable('resource', { schema: resource })
    .registerVariable('subject', { schema: subject })
    .registerVariable('action', 'map<string, dyn>')
    .registerVariable('context', 'map<string, dyn>')
}

/** Where a refusal points: 1-based column and text. */
class Refusal extends Error {
  constructor (readonly column: number, readonly why: string) {
    super(why)
  }
}

/**
 * Parses, type-checks and translates `text` under `scope` (`env`: `celEnvironment(scope)`,
 * shared by the conditions of one scope). Never throws.
 */
export function compileCondition (text: string, scope: ConditionScope, env: Environment): ConditionResult {
  let ast: ASTNode
  try {
    const parsed = env.parse(text)
    const checked = parsed.check()
    if (!checked.valid) return refused(text, columnOf(checked.error), summaryOf(checked.error))
    if (checked.type !== 'bool' && checked.type !== 'dyn') return refused(text, 1, `a condition must be true or false, not \`${String(checked.type)}\``)
    ast = parsed.ast
  } catch (err) {
    return refused(text, columnOf(err), summaryOf(err))
  }
  try {
    const translator = new Translator(scope)
    const root = translator.condition(ast)
    return { ok: true, condition: { text, root, readsResource: translator.readsResource } }
  } catch (err) {
    // INVARIANT: the translator throws only refusals.
    const r = err as Refusal
    return refused(text, r.column, r.why)
  }
}

function refused (text: string, column: number, why: string): ConditionResult {
  return { ok: false, message: `condition \`${text.length > 80 ? `${text.slice(0, 77)}...` : text}\`, column ${column}: ${why}` }
}

/** The 1-based column of a cel-js error: its `range.start` plus one; 1 should an error come without a range (`NaN | 0` is 0). */
function columnOf (err: unknown): number {
  return (Number((Object(Object(err).range) as { start?: unknown }).start) | 0) + 1
}

/** cel-js's first message line, lowercased at the start, with a hint for the usual numeric mismatch. */
function summaryOf (err: unknown): string {
  // INVARIANT: cel-js throws and reports `Error`s.
  const line = ((err as Error).message.split('\n')[0] as string).trim().replace(/\.$/, '')
  const lowered = line.charAt(0).toLowerCase() + line.slice(1)
  return /double [=!]= int|int [=!]= double/.test(lowered) ? `${lowered} (numbers are doubles: write \`3.0\`, not \`3\`)` : lowered
}

const COMPARISONS: Readonly<Record<string, Comparison>> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' }
/** `a cmp b` is `b flip(cmp) a`. */
const FLIPPED: Readonly<Record<Comparison, Comparison>> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' }
const LARGEST_INT = BigInt(Number.MAX_SAFE_INTEGER)

const isResource = (o: Operand): boolean => o.src.startsWith('resource')

/** Translates the checked AST into a `Condition`, throwing a `Refusal` for what is outside the subset. */
class Translator {
  readsResource = false

  constructor (private readonly scope: ConditionScope) {}

  condition (node: ASTNode): Condition {
    return { ...this.bare(node), span: [node.start, node.end] }
  }

  bare (node: ASTNode): Condition {
    switch (node.op) {
      case '&&':
      case '||': {
        const args = node.args.map(a => this.condition(a))
        return { op: node.op === '&&' ? 'and' : 'or', args }
      }
      case '!_': return { op: 'not', arg: this.condition(node.args) }
      case '==': case '!=': case '<': case '<=': case '>': case '>=':
        return this.compare(node.op, node.args[0], node.args[1], node)
      case 'in': return this.in(node.args[0], node.args[1], node)
      case 'call':
        if (node.args[0] === 'has') return this.has(node)
        break
      // INVARIANT: the type checker lets only booleans and dyn values stand where a condition does.
      case 'value': return { op: 'const', value: node.args === true }
      case '.':
      case '[]': return { op: 'truth', operand: this.operand(node) }
    }
    throw this.unsupported(node)
  }

  compare (op: string, leftNode: ASTNode, rightNode: ASTNode, node: ASTNode): Condition {
    let left = this.operand(leftNode)
    let right = this.operand(rightNode)
    let cmp = COMPARISONS[op] as Comparison
    if (isResource(left) && isResource(right)) throw this.unplannable(node, 'it compares two values of the resource')
    if (isResource(right)) {
      [left, right] = [right, left]
      cmp = FLIPPED[cmp]
    }
    const type = left.type === 'dyn' ? right.type : left.type
    if (left.type === 'list' || right.type === 'list') throw new Refusal(node.start + 1, 'lists (relations among them) are not compared: use `in`')
    if (cmp !== 'eq' && cmp !== 'ne') {
      if (type === 'enum' || type === 'boolean') throw new Refusal(node.start + 1, `values of type \`${type}\` compare only with \`==\`, \`!=\` and \`in\``)
      if (left.src === 'resource_id') throw this.unplannable(node, '`resource.id` compares only with `==`, `!=` and `in`')
    }
    this.checkEnumLiteral(left, right, rightNode)
    this.checkEnumLiteral(right, left, leftNode)
    return { op: 'compare', cmp, type, left, right }
  }

  in (elementNode: ASTNode, listNode: ASTNode, node: ASTNode): Condition {
    const element = this.operand(elementNode)
    const list = this.operand(listNode)
    if (isResource(element) && isResource(list)) throw this.unplannable(node, 'both sides of `in` are values of the resource')
    if (element.type === 'list') throw new Refusal(elementNode.start + 1, 'the left side of `in` must be a single value, not a list (relations are lists)')
    // INVARIANT: the type checker lets only lists and dyn values stand right of `in` (no map type is declared).
    if (list.src === 'list') this.checkEnumLiteral(element, list, listNode)
    return { op: 'in', type: inType(element, list), element, list }
  }

  has (node: ASTNode & { op: 'call' }): Condition {
    const [arg] = node.args[1]
    // INVARIANT: cel-js accepts `has` only with one field selection as argument.
    const operand = this.operand(arg as ASTNode)
    if (operand.src === 'resource_id' || operand.src === 'resource_relation' || operand.src === 'subject_id' || operand.src === 'subject_roles') {
      throw new Refusal(node.start + 1, '`has` applies to attributes, action properties and context keys')
    }
    return { op: 'has', operand }
  }

  /** An enum attribute compared with a string literal (or a list of them): each must be one of its values. */
  checkEnumLiteral (attribute: Operand, literal: Operand, node: ASTNode): void {
    if (attribute.src !== 'resource_attribute' || attribute.type !== 'enum') return
    const values = literal.src === 'list' ? literal.values : literal.src === 'literal' ? [literal.value] : []
    for (const v of values) {
      if (typeof v === 'string' && !attribute.values.includes(v)) {
        throw new Refusal(node.start + 1, `\`${v}\` is not a value of \`${attribute.name}\` (${attribute.values.map(x => `\`${x}\``).join(', ')})`)
      }
    }
  }

  operand (node: ASTNode): Operand {
    switch (node.op) {
      case 'value': return this.literal(node, node.args)
      case '-_': {
        const inner = node.args
        if (inner.op === 'value' && (typeof inner.args === 'number' || typeof inner.args === 'bigint')) return this.literal(node, -inner.args)
        break
      }
      case 'list': {
        const values = node.args.map(item => {
          const o = this.operand(item)
          if (o.src !== 'literal') throw new Refusal(item.start + 1, 'list literals hold literal values only')
          return o
        })
        // INVARIANT: the type checker accepts only lists of one type.
        return { src: 'list', type: 'list', element: values[0]?.type ?? 'dyn', values: values.map(v => v.value) }
      }
      case 'call': {
        const [name, args] = node.args
        if (name === 'timestamp' && args.length === 1) return this.timestamp(node, args[0] as ASTNode)
        break
      }
      case '.':
      case '[]':
        return this.member(node)
    }
    throw this.unsupported(node)
  }

  literal (node: ASTNode, value: unknown): Operand {
    if (typeof value === 'string') return { src: 'literal', type: 'string', value }
    if (typeof value === 'boolean') return { src: 'literal', type: 'boolean', value }
    if (typeof value === 'number' && Number.isFinite(value)) return { src: 'literal', type: 'number', value }
    if (typeof value === 'bigint') {
      if (value > LARGEST_INT || value < -LARGEST_INT) throw new Refusal(node.start + 1, 'the number is too large to compare exactly')
      return { src: 'literal', type: 'number', value: Number(value) }
    }
    throw new Refusal(node.start + 1, 'only string, number and boolean literals are supported')
  }

  timestamp (node: ASTNode, arg: ASTNode): Operand {
    if (arg.op === 'value' && typeof arg.args === 'string') {
      const instant = instantOf(arg.args)
      if (instant === undefined) throw new Refusal(arg.start + 1, `\`${arg.args}\` is not an RFC 3339 timestamp (\`2026-12-07T10:00:00Z\`)`)
      return { src: 'literal', type: 'timestamp', value: instant }
    }
    const operand = this.operand(arg)
    if (operand.src === 'action' || operand.src === 'context') return operand
    throw new Refusal(node.start + 1, '`timestamp()` takes a literal or an action property or context value')
  }

  /** `resource.x`, `subject.x`, `action.a.b`, `context['k']`. */
  member (node: ASTNode): Operand {
    const path: string[] = []
    let at: ASTNode = node
    for (;;) {
      if (at.op === '.') {
        path.unshift(at.args[1])
        at = at.args[0]
      } else if (at.op === '[]' && at.args[1].op === 'value' && typeof at.args[1].args === 'string') {
        path.unshift(at.args[1].args)
        at = at.args[0]
      } else {
        break
      }
    }
    if (at.op !== 'id') throw this.unsupported(node)
    const root = at.args
    const [first] = path as [string]
    if (root === 'action' || root === 'context') return { src: root, type: 'dyn', path }
    // INVARIANT: the type checker refuses members of subject and resource values (none is a map).
    if (root === 'subject') {
      if (first === 'id') return { src: 'subject_id', type: 'string' }
      if (first === 'roles') return { src: 'subject_roles', type: 'list' }
      // INVARIANT: the type checker accepted the key, so it is declared.
      const a = this.scope.subjectAttributes.get(first) as CompiledAttribute
      return { src: 'subject_attribute', type: a.type, name: first }
    }
    // INVARIANT: the environment declares only `resource`, `subject`, `action` and `context`.
    const resource = this.scope.resource
    if (!this.scope.readsResource) throw new Refusal(node.start + 1, 'an ACL entry\'s condition may read `subject`, `action` and `context`, not `resource` (the ACL already sits on the resource)')
    this.readsResource = true
    if (first === 'id') return { src: 'resource_id', type: 'string' }
    const attribute = resource.attributes.get(first)
    if (attribute === undefined) return { src: 'resource_relation', type: 'list', name: first }
    return { src: 'resource_attribute', type: attribute.type, name: first, values: attribute.values }
  }

  unsupported (node: ASTNode): Refusal {
    const what = node.op === 'call' || node.op === 'rcall' ? `function \`${node.args[0]}\`` : `\`${node.op.replace(/_$/, '')}\``
    return new Refusal(node.start + 1, `${what} is not supported in conditions (comparisons, \`in\`, \`&&\`, \`||\`, \`!\`, \`has()\`, \`timestamp()\`)`)
  }

  unplannable (node: ASTNode, why: string): Refusal {
    return new Refusal(node.start + 1, `cannot be planned: ${why}; compare a value of the resource with a literal or a subject, action or context value`)
  }
}

/**
 * The type `in` compares in: strings for attribute lists, relations and roles; else the
 * element's type, or the list literal's when the element is dyn.
 */
function inType (element: Operand, list: Operand): ValueType {
  if (list.src !== 'list' && list.type === 'list') return 'string'
  if (element.type !== 'dyn') return element.type
  return list.src === 'list' ? list.element : 'dyn'
}

/** How many conditions a memo keeps; more are compiled on each use (the same result, more time). */
export const MAX_MEMO_CONDITIONS = 4096

/**
 * The compiled conditions of one module, by text: the bundle's, and those that subject
 * documents (overrides) and resources (ACL entries) bring, compiled on first use and
 * kept (a bounded memo of pure values, like the policy's profiles). A text that does not
 * compile (a document that skipped validation) never holds: conditions fail closed.
 */
export class ConditionMemo {
  readonly #onResource: ConditionScope
  readonly #withoutResource: ConditionScope
  #resourceEnv: Environment | undefined
  #aclEnv: Environment | undefined
  // Created on first use: most modules of most tenants have no conditions.
  #resource: Map<string, CompiledCondition> | undefined
  #acl: Map<string, CompiledCondition> | undefined

  constructor (attributes: ReadonlyMap<string, CompiledAttribute>, relations: readonly string[], subjectAttributes: ReadonlyMap<string, CompiledAttribute>) {
    this.#onResource = { resource: { attributes, relations }, readsResource: true, subjectAttributes }
    this.#withoutResource = { resource: { attributes, relations }, readsResource: false, subjectAttributes }
  }

  /** A condition on the module's resources (an action's, a grant's, an override's). */
  onResource (text: string): CompiledCondition {
    this.#resource ??= new Map()
    // The environment only on a miss: a memo given its bundle's conditions (`remember`) needs none.
    return remember(this.#resource, text, () => {
      this.#resourceEnv ??= celEnvironment(this.#onResource)
      return compileCondition(text, this.#onResource, this.#resourceEnv)
    })
  }

  /**
   * Takes `conditions`, compiled elsewhere under this module's scope (another thread's
   * `compileBundle`), as if `onResource` had compiled them.
   * INVARIANT: each was compiled by `onResource` on a module declared as this one is.
   */
  remember (conditions: Iterable<CompiledCondition>): void {
    this.#resource ??= new Map()
    for (const condition of conditions) {
      if (this.#resource.size < MAX_MEMO_CONDITIONS) this.#resource.set(condition.text, condition)
    }
  }

  /**
   * Why `text` is refused as a condition on the resource (`onResource`) or without it
   * (an ACL entry's), `undefined` when it is accepted: what document validators report.
   */
  refusal (text: string, onResource: boolean): string | undefined {
    const scope = onResource ? this.#onResource : this.#withoutResource
    const env = onResource ? (this.#resourceEnv ??= celEnvironment(scope)) : (this.#aclEnv ??= celEnvironment(scope))
    const result = compileCondition(text, scope, env)
    return result.ok ? undefined : result.message
  }

  /** A condition that may not read the resource (an ACL entry's). */
  withoutResource (text: string): CompiledCondition {
    this.#aclEnv ??= celEnvironment(this.#withoutResource)
    this.#acl ??= new Map()
    return remember(this.#acl, text, () => compileCondition(text, this.#withoutResource, this.#aclEnv as Environment))
  }
}

function remember (memo: Map<string, CompiledCondition>, text: string, compile: () => ConditionResult): CompiledCondition {
  const known = memo.get(text)
  if (known !== undefined) return known
  const result = compile()
  const condition = result.ok ? result.condition : never(text)
  if (memo.size < MAX_MEMO_CONDITIONS) memo.set(text, condition)
  return condition
}

const NEVER: Condition = Object.freeze({ op: 'const', value: false })

/** A condition that never holds, standing for `text` that did not compile. */
export function never (text: string): CompiledCondition {
  return { text, root: NEVER, readsResource: false }
}
