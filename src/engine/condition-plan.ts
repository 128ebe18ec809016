/**
 * Conditions in search plans: partial evaluation (docs/decisions/0006-conditions.md).
 * What a condition reads of the subject, the action and the context is known when the
 * plan is built and decided then; what it reads of the resource becomes attribute,
 * relation and id filters. A condition node has three values on a resource (true, false,
 * error), so each node gives two two-valued filters: where it is true and where it is
 * false (negation normal form: `!` swaps them, `&&` and `||` swap under it). A leaf that
 * is an error on a resource (a missing attribute, a value of another type) is in
 * neither, which keeps "a stored resource satisfies the plan iff decide allows" exact.
 */
import type { Comparison } from './attributes.js'
import { instantOf, orderOf } from './attributes.js'
import type { CompiledCondition, Condition, Operand } from './condition.js'
import { FALSE, TRUE, truthOf, valueOf } from './condition-eval.js'
import type { AttributeType, ConditionInputs, Subject } from './model.js'
import type { Filter } from './plan-format.js'
import type { Term } from './terms.js'
import { and, idIn, not, or, relationContainsAny } from './terms.js'

/** The resources on which `condition` holds for `subject` and the request's `inputs`. */
export function conditionTerm (condition: CompiledCondition, subject: Subject, inputs: ConditionInputs): Term {
  return split(condition.root, subject, inputs)[0]
}

/** Where `node` is true, and where it is false. */
type Split = readonly [Term, Term]

const ERROR_SPLIT: Split = [false, false]

function split (node: Condition, subject: Subject, inputs: ConditionInputs): Split {
  if (!readsResource(node)) {
    const t = truthOf(node, subject, undefined, inputs)
    return [t === TRUE, t === FALSE]
  }
  switch (node.op) {
    case 'and': {
      const parts = node.args.map(a => split(a, subject, inputs))
      return [and(...parts.map(p => p[0])), or(...parts.map(p => p[1]))]
    }
    case 'or': {
      const parts = node.args.map(a => split(a, subject, inputs))
      return [or(...parts.map(p => p[0])), and(...parts.map(p => p[1]))]
    }
    case 'not': {
      const [t, f] = split(node.arg, subject, inputs)
      return [f, t]
    }
    case 'compare': return compareSplit(node, subject, inputs)
    case 'in': return inSplit(node, subject, inputs)
    case 'has': {
      const exists = attributeExists((node.operand as Operand & { src: 'resource_attribute' }).name)
      return [exists, not(exists)]
    }
    default: {
      // INVARIANT: what is left is `truth` on a boolean attribute of the resource (constants read nothing).
      const name = ((node as Condition & { op: 'truth' }).operand as Operand & { src: 'resource_attribute' }).name
      return [compareLeaf(name, 'boolean', 'eq', true), compareLeaf(name, 'boolean', 'eq', false)]
    }
  }
}

/** Whether a node reads the resource anywhere (else the plan decides it whole). */
function readsResource (node: Condition): boolean {
  switch (node.op) {
    case 'const': return false
    case 'and': case 'or': return node.args.some(readsResource)
    case 'not': return readsResource(node.arg)
    case 'compare': return isResource(node.left) || isResource(node.right)
    case 'in': return isResource(node.element) || isResource(node.list)
    default: return isResource(node.operand)
  }
}

const isResource = (o: Operand): boolean => o.src.startsWith('resource')

const NEGATED: Readonly<Record<Comparison, Comparison>> = { eq: 'ne', ne: 'eq', lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' }

/** `resource.x cmp known` (the translator puts the resource operand left). */
function compareSplit (node: Condition & { op: 'compare' }, subject: Subject, inputs: ConditionInputs): Split {
  const known = valueOf(node.right, subject, undefined, inputs)
  const left = node.left
  if (left.src === 'resource_id') {
    // INVARIANT: ids compare only with `==` and `!=`.
    if (typeof known !== 'string') return ERROR_SPLIT
    const t = idIn([known])
    return node.cmp === 'eq' ? [t, not(t)] : [not(t), t]
  }
  const attribute = left as Operand & { src: 'resource_attribute' }
  const value = normalized(attribute.type, known)
  if (value === undefined) return ERROR_SPLIT
  return [compareLeaf(attribute.name, attribute.type, node.cmp, value), compareLeaf(attribute.name, attribute.type, NEGATED[node.cmp], value)]
}

/** `resource.x in known`, `resource.id in known`, `known in resource.list`, `known in resource.relation`. */
function inSplit (node: Condition & { op: 'in' }, subject: Subject, inputs: ConditionInputs): Split {
  const { element, list } = node
  if (list.src === 'resource_relation' || list.src === 'resource_attribute') {
    const known = valueOf(element, subject, undefined, inputs)
    if (typeof known !== 'string') return ERROR_SPLIT
    if (list.src === 'resource_relation') {
      const t = relationContainsAny(list.name, [known])
      return [t, not(t)]
    }
    const t: Filter = { op: 'attribute_contains', attribute: list.name, value: known }
    return [t, and(attributeExists(list.name), not(t))]
  }
  const known = valueOf(list, subject, undefined, inputs)
  if (!Array.isArray(known)) return ERROR_SPLIT
  if (element.src === 'resource_id') {
    const t = idIn((known as unknown[]).filter((v): v is string => typeof v === 'string'))
    return [t, not(t)]
  }
  // INVARIANT: the element is a resource attribute that is not a list.
  const attribute = element as Operand & { src: 'resource_attribute' }
  const type = attribute.type
  const values: Array<string | number | boolean> = []
  for (const item of known as unknown[]) {
    const v = normalized(type, item)
    if (v !== undefined && !values.includes(v)) values.push(v)
  }
  const name = attribute.name
  if (values.length === 0) return [false, typedExists(name, type)]
  const t = type === 'boolean'
    ? or(...values.map(v => compareLeaf(name, type, 'eq', v)))
    : { op: 'attribute_in' as const, attribute: name, type, values: values as Array<string | number> }
  return [t, and(...values.map(v => compareLeaf(name, type, 'ne', v)))]
}

/** A known value as a filter value for an attribute of `type`: timestamps as instants; `undefined` when of another type. */
function normalized (type: AttributeType, value: unknown): string | number | boolean | undefined {
  if (orderOf(type, value, value) === undefined) return undefined
  return type === 'timestamp' ? instantOf(value as string) : value as string | number | boolean
}

function compareLeaf (attribute: string, type: AttributeType, cmp: Comparison, value: string | number | boolean): Filter {
  return { op: 'attribute_compare', attribute, type, cmp, value }
}

function attributeExists (attribute: string): Filter {
  return { op: 'attribute_exists', attribute }
}

/** The resources whose value of the attribute has its declared type (every comparison leaf is false elsewhere). */
function typedExists (attribute: string, type: AttributeType): Term {
  switch (type) {
    case 'number': return or(compareLeaf(attribute, type, 'ge', 0), compareLeaf(attribute, type, 'lt', 0))
    case 'boolean': return or(compareLeaf(attribute, type, 'eq', true), compareLeaf(attribute, type, 'eq', false))
    case 'timestamp': return compareLeaf(attribute, type, 'ge', '0001-01-01T00:00:00.000000Z')
    // INVARIANT: `in` never has a list attribute left: what is left is `string` and `enum`.
    default: return compareLeaf(attribute, type, 'ge', '')
  }
}
