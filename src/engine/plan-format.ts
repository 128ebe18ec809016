/**
 * The query plan as a wire format (docs/decisions/0002-search-plans.md): what
 * `planSearch` answers, what `POST /access/v1/search/resource` returns in `context.plan`,
 * and what `planToSql` reads. Types only, importing nothing, so that a package shipping
 * `planToSql` (the client) ships these declarations without the engine.
 */

/** The kind of a declared attribute, as plan filters name it (`list` is `[string]`). */
export type AttributeType = 'string' | 'number' | 'boolean' | 'timestamp' | 'enum' | 'list'

/** How `attribute_compare` compares the resource's value (left) with the filter's (right). */
export type AttributeComparison = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'

/**
 * A condition on a stored resource (or on a row of a caller's table that mirrors one).
 * Every leaf is two-valued: a resource without a project is in no `project_in` list,
 * a relation without values contains nothing.
 * - `project_in`: the resource's *effective* project (its own, else its nearest
 *   ancestor's) is one of `values`.
 * - `relation_contains_any`: relation `relation` of the resource holds at least one of
 *   `values` (the subject's id, its aliases and `group:<g>` for its groups).
 * - `id_in`: the resource id is one of `values`. "id not in" is written
 *   `{ op: 'not', arg: { op: 'id_in', ... } }`.
 * - `acl_governed`: an ACL governs the resource: its own `acl` (even an empty one), else
 *   its nearest ancestor's through `parent`.
 * - `acl_allows`: an ACL governs the resource, and among its entries that apply, one
 *   allows `action` and none denies it. An entry applies when its `who` is one of `who`
 *   (the subject's id, aliases, `group:<g>`, the `role:<r>` refs of the roles that apply,
 *   and `*`) and it has no `when`, or its `when` is one of `when` (the texts of the
 *   entry conditions that hold for the request).
 * - `attribute_compare`: the resource's value of declared attribute `attribute` (of
 *   type `type`) compares as `cmp` with `value`; timestamps compare as instants (`value`
 *   is an RFC 3339 string).
 * - `attribute_in`: the attribute's value is one of `values`.
 * - `attribute_contains`: the attribute (a `[string]` list) holds `value`.
 * - `attribute_exists`: the resource has a value for the attribute.
 *   Every attribute leaf is false when the resource lacks the attribute (`ne` too);
 *   the planner writes negations so that a missing attribute stays false both ways.
 * - `and` / `or` (at least two arguments) and `not`.
 * Plans never hold constants: a filter that would be always true or always false is the
 * plan `always` or `never`. Value lists are non-empty and have no repeats.
 */
export type Filter =
  | { op: 'and', args: Filter[] }
  | { op: 'or', args: Filter[] }
  | { op: 'not', arg: Filter }
  | { op: 'project_in', values: string[] }
  | { op: 'relation_contains_any', relation: string, values: string[] }
  | { op: 'id_in', values: string[] }
  | { op: 'acl_governed' }
  | { op: 'acl_allows', action: string, who: string[], when?: string[] }
  | { op: 'attribute_compare', attribute: string, type: AttributeType, cmp: AttributeComparison, value: string | number | boolean }
  | { op: 'attribute_in', attribute: string, type: AttributeType, values: Array<string | number> }
  | { op: 'attribute_contains', attribute: string, value: string }
  | { op: 'attribute_exists', attribute: string }

/** What a search may return: every resource, none, or those satisfying `filter`. */
export type QueryPlan =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'conditional', filter: Filter }
