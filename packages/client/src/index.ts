/**
 * `@gatehouse-pdp/client`: asks gatehouse for decisions, searches and admin writes over
 * Node's `fetch`, with no other runtime dependency; and `planToSql`, compiled from the
 * service's own `src/store/plan-sql.ts` (the one translation gatehouse itself runs).
 */
export { GatehouseClient } from './client.js'
export type {
  AdminCalls, AllowedAction, AllowedResources, ActionInput, CheckInput, CheckManyInput, Decision, Entity,
  GatehouseClientOptions, ListAllowedInput, ResourceRef, SubjectInput, WhatCanInput
} from './client.js'
export { GatehouseError } from './errors.js'
export { checkTarget, denialBody } from './guard.js'
export type { AuthorizeTarget, DenialBody } from './guard.js'
export { mask } from './mask.js'
export type { GatehouseErrorKind } from './errors.js'
export type { AdminCallArgs, AdminCallOptions, AdminCallResult, DecisionFields, DecisionReason, paths } from './api.js'
export type { Filter, QueryPlan } from '../../../src/engine/plan.js'
export type { AclMapping, JoinMapping, PlanSql, PlanSqlErrorCode, PlanSqlMapping, PlanSqlOptions, RelationMapping } from '../../../src/store/plan-sql.js'
export { PlanSqlError, planToSql } from '../../../src/store/plan-sql.js'
