/**
 * Evaluation of compiled conditions (`condition.ts`): total, allocation-free, three-valued
 * as CEL is. A missing attribute, property or context key, or a value of another type
 * than the comparison's, makes the smallest enclosing comparison an error; `&&` and `||`
 * absorb errors as CEL does (`error || true` is true, `error && false` is false); an
 * error at the top is false, so the condition denies. Never throws.
 */
import { compares, orderOf } from './attributes.js'
import type { CompiledCondition, Condition, Operand, ValueType } from './condition.js'
import type { ConditionInputs, ResourceFacts, Subject } from './model.js'
import { getOwn, isRecord, listOf, NO_ITEMS } from './own.js'

export const FALSE = 0
export const TRUE = 1
export const ERROR = 2
/** A condition's value: `FALSE`, `TRUE` or `ERROR`. */
export type Truth = typeof FALSE | typeof TRUE | typeof ERROR

/**
 * Whether `condition` holds for `subject` (its stored attributes, replaced key by key by
 * `inputs.subjectAttributes`), `resource` and the request's action properties and context.
 */
export function holds (condition: CompiledCondition, subject: Subject, resource: ResourceFacts | undefined, inputs: ConditionInputs): boolean {
  return truthOf(condition.root, subject, resource, inputs) === TRUE
}

/** The three-valued value of `node`; `resource` undefined reads every resource value as missing. */
export function truthOf (node: Condition, subject: Subject, resource: ResourceFacts | undefined, inputs: ConditionInputs): Truth {
  switch (node.op) {
    case 'const': return node.value ? TRUE : FALSE
    case 'and': {
      let result: Truth = TRUE
      for (const arg of node.args) {
        const t = truthOf(arg, subject, resource, inputs)
        if (t === FALSE) return FALSE
        if (t === ERROR) result = ERROR
      }
      return result
    }
    case 'or': {
      let result: Truth = FALSE
      for (const arg of node.args) {
        const t = truthOf(arg, subject, resource, inputs)
        if (t === TRUE) return TRUE
        if (t === ERROR) result = ERROR
      }
      return result
    }
    case 'not': {
      const t = truthOf(node.arg, subject, resource, inputs)
      return t === ERROR ? ERROR : t === TRUE ? FALSE : TRUE
    }
    case 'compare': {
      const left = valueOf(node.left, subject, resource, inputs)
      const right = valueOf(node.right, subject, resource, inputs)
      const order = orderOf(comparedType(node.type, left, right), left, right)
      if (order === undefined) return ERROR
      return compares(node.cmp, order) ? TRUE : FALSE
    }
    case 'in': return inList(node, subject, resource, inputs)
    case 'has': return valueOf(node.operand, subject, resource, inputs) === undefined ? FALSE : TRUE
    default: {
      const value = valueOf(node.operand, subject, resource, inputs)
      return value === true ? TRUE : value === false ? FALSE : ERROR
    }
  }
}

/**
 * The type two values compare in: the static type, or for `dyn` their common JSON type
 * (`list` when they differ or are not strings, numbers or booleans: nothing compares as a list).
 */
export function comparedType (type: ValueType, left: unknown, right: unknown): Exclude<ValueType, 'dyn'> {
  if (type !== 'dyn') return type
  const kind = jsonKind(left)
  return kind === jsonKind(right) ? kind : 'list'
}

/** A JSON value's kind for dyn comparisons; `list` for anything that does not compare. */
export function jsonKind (value: unknown): 'string' | 'number' | 'boolean' | 'list' {
  switch (typeof value) {
    case 'string': return 'string'
    case 'number': return 'number'
    case 'boolean': return 'boolean'
    default: return 'list'
  }
}

function inList (node: Condition & { op: 'in' }, subject: Subject, resource: ResourceFacts | undefined, inputs: ConditionInputs): Truth {
  const element = valueOf(node.element, subject, resource, inputs)
  const list = valueOf(node.list, subject, resource, inputs)
  const type = node.type === 'dyn' ? jsonKind(element) : node.type
  if (element === undefined || orderOf(type, element, element) === undefined || list === undefined) return ERROR
  // A resource's list attribute of another type holds nothing (as the plan's `attribute_contains` reads it).
  if (!Array.isArray(list)) return node.list.src === 'resource_attribute' ? FALSE : ERROR
  for (const item of list as readonly unknown[]) if (orderOf(type, element, item) === 0) return TRUE
  return FALSE
}

/** The value an operand reads; `undefined` when missing. A relation the resource does not give is empty. */
export function valueOf (operand: Operand, subject: Subject, resource: ResourceFacts | undefined, inputs: ConditionInputs): unknown {
  switch (operand.src) {
    case 'literal': return operand.value
    case 'list': return operand.values
    case 'resource_attribute': return getOwn(resource?.attributes, operand.name)
    case 'resource_relation': return getOwn(resource?.relations, operand.name) ?? NO_ITEMS
    case 'resource_id': return resource?.id
    case 'subject_attribute': return getOwn(inputs.subjectAttributes, operand.name) ?? getOwn(subject.attributes, operand.name)
    case 'subject_id': return subject.id
    case 'subject_roles': return listOf(subject.roles)
    case 'action': return pathValue(inputs.actionProperties, operand.path)
    default: return pathValue(inputs.context, operand.path)
  }
}

function pathValue (root: unknown, path: readonly string[]): unknown {
  let value = root
  for (const key of path) {
    if (!isRecord(value)) return undefined
    value = getOwn(value, key)
  }
  return value
}
