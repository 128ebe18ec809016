/**
 * Terms: plan filters with the constants `true` and `false`, simplified as they are
 * built, so that a plan never holds a constant (`plan.ts`, `condition-plan.ts`).
 */
import type { Filter } from './plan-format.js'

export type Term = Filter | boolean

export const termKey = (term: Term): string => JSON.stringify(term)

export function uniqueSorted (values: readonly string[]): string[] {
  return [...new Set(values)].sort()
}

export function projectIn (values: readonly string[]): Term {
  return values.length === 0 ? false : { op: 'project_in', values: uniqueSorted(values) }
}

export function idIn (values: readonly string[]): Term {
  return values.length === 0 ? false : { op: 'id_in', values: uniqueSorted(values) }
}

/** Resources governed by an ACL (their own or their nearest ancestor's). */
export const ACL_GOVERNED: Filter = Object.freeze({ op: 'acl_governed' }) as Filter

/**
 * Resources whose governing ACL allows `action` to a subject known by `who` (names and
 * role refs; `*` is added), its entries' conditions reduced to the texts that hold.
 */
export function aclAllows (action: string, who: Iterable<string>, when: readonly string[]): Filter {
  const leaf: Extract<Filter, { op: 'acl_allows' }> = { op: 'acl_allows', action, who: uniqueSorted([...who, '*']) }
  if (when.length > 0) leaf.when = uniqueSorted(when)
  return leaf
}

/** INVARIANT: `values` is the subject's names, never empty (they hold its id). */
export function relationContainsAny (relation: string, values: readonly string[]): Filter {
  return { op: 'relation_contains_any', relation, values: [...new Set(values)] }
}

/** The complement of a term (a filter's `not` is plain complement: every leaf is two-valued). */
export function not (term: Term): Term {
  return typeof term === 'boolean' ? !term : { op: 'not', arg: term }
}

/** `and` or `or` of terms: nested ones of the same kind flattened, the neutral constant dropped, the absorbing one absorbing, repeats dropped. */
function junction (op: 'and' | 'or', terms: readonly Term[]): Term {
  const absorbing = op === 'or'
  const args: Filter[] = []
  const seen = new Set<string>()
  const add = (term: Term): boolean => {
    if (typeof term === 'boolean') return term === absorbing
    if (term.op === op) return term.args.some(add)
    const key = termKey(term)
    if (!seen.has(key)) {
      seen.add(key)
      args.push(term)
    }
    return false
  }
  for (const term of terms) if (add(term)) return absorbing
  if (args.length === 0) return !absorbing
  if (args.length === 1) return args[0] as Filter
  return { op, args }
}

export function and (...terms: Term[]): Term {
  return junction('and', terms)
}

export function or (...terms: Term[]): Term {
  return junction('or', terms)
}
