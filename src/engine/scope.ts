/**
 * Scopes: which resources of a module a grant reaches, and whether a resource is in one.
 */
import type { Access } from './model.js'
import type { CompiledModule, CompiledScope } from './policy.js'
import { getOwn } from './own.js'

const NONE: CompiledScope = { kind: 'none', access: 'none' }
const ALL: CompiledScope = { kind: 'all', access: 'all' }

/**
 * The scope an access value means on `module`. Anything that is not a valid access
 * (an unvalidated override) reaches nothing: the engine fails closed.
 */
export function compileScope (module: CompiledModule, access: Access | undefined): CompiledScope {
  if (access === 'all') return ALL
  if (access === 'assigned') return { kind: 'relations', access, relations: module.assigned }
  if (Array.isArray(access)) return { kind: 'relations', access, relations: access.filter(r => typeof r === 'string') }
  return NONE
}

/**
 * Whether a resource with these relation values is in `scope` for a subject known by
 * `names` (its id, its aliases and `group:<g>` for each of its groups).
 */
export function inScope (scope: CompiledScope, relations: Readonly<Record<string, readonly string[]>>, names: ReadonlySet<string>): boolean {
  if (scope.kind === 'all') return true
  if (scope.kind === 'none') return false
  for (const relation of scope.relations) {
    const values = getOwn(relations, relation)
    if (!Array.isArray(values)) continue
    for (const value of values) if (names.has(value)) return true
  }
  return false
}

/** How a scope reads in a message: "assigned resources only", "resources where it is `creator`". */
export function describeScope (scope: CompiledScope): string {
  if (scope.kind === 'all') return 'all resources'
  if (scope.kind === 'none') return 'no resources (access `none`)'
  if (scope.access === 'assigned') return 'assigned resources only'
  if (scope.relations.length === 0) return 'no resources (an empty relation list)'
  return `resources where it is ${scope.relations.map(r => `\`${r}\``).join(' or ')}`
}
