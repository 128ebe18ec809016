/**
 * Helpers of the role-by-role comparison. What one role gives on an action or a field
 * is the engine's role view (`rolePermission`, `roleFieldMode`): the diff never reads
 * compiled grants or bitsets itself. Pure.
 */
import type { ModuleDeclaration } from '../../engine/index.js'
import type { RolePermission } from './types.js'

/** Whether two role permissions say the same. */
export function samePermission (a: RolePermission, b: RolePermission): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Code-point order, the same in every locale. */
export function compareNames (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Names of both sides: sorted. */
export function unionSorted (a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort(compareNames)
}

/** Actions of a module on both sides: the new declaration order, then those only the old side declares, in its order. */
export function unionActions (before: ModuleDeclaration | undefined, after: ModuleDeclaration | undefined): string[] {
  const names = (after?.actions ?? []).map(a => a.name)
  for (const { name } of before?.actions ?? []) if (!names.includes(name)) names.push(name)
  return names
}
