/**
 * The package's public surface for services that call gatehouse: turning the query plan
 * of `POST /access/v1/search/resource` (its `context.plan`) into a WHERE clause over
 * their own tables, and reading plans in memory. Importing it loads no database driver,
 * no HTTP server and no engine state: plan-sql imports only types.
 *
 * ```ts
 * import { planToSql } from 'gatehouse'
 * const { where, params } = planToSql(plan, { id: 'w.id', project: 'w.site_id', relations: { assignee: { column: 'w.assignee_id' } } })
 * ```
 * See docs/decisions/0002-search-plans.md for what a plan means.
 */
export type { Filter, PlanResource, QueryPlan, SearchFacts } from './engine/plan.js'
export { filterJsonSchema, matchesPlan, queryPlanJsonSchema } from './engine/plan.js'
export type { AclMapping, JoinMapping, PlanSql, PlanSqlErrorCode, PlanSqlMapping, PlanSqlOptions, RelationMapping } from './store/plan-sql.js'
export { PlanSqlError, planToSql } from './store/plan-sql.js'
