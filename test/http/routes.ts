/**
 * Every route of a tenant, with a valid request and its bad variants, for the table
 * tests (bad input, cross-tenant). Bodies are built per tenant so that each test runs
 * on fresh data.
 */
import { exampleBundle } from './fixtures.js'

export type Access = 'root' | 'admin' | 'check' | 'audit'

export interface RouteCase {
  name: string
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  url: (tenant: string) => string
  access: Access
  /** Changes data (so a refused request must leave the revision as it was). */
  write: boolean
  body?: Record<string, unknown>
  /** A body with a wrong type, and the path the error must name. */
  wrongType?: { body: Record<string, unknown>, path: string, code?: string }
  /** A body with an unknown key, and the path the error must name; undefined where unknown keys are ignored (AuthZEN). */
  unknownField?: { body: Record<string, unknown>, path: string, code?: string }
}

const evaluationBody = { subject: { type: 'user', id: 'marie' }, action: { name: 'view' }, resource: { type: 'jobs', id: 'job-1' } }

export const ROUTES: RouteCase[] = [
  {
    name: 'PUT tenant',
    method: 'PUT',
    url: t => `/v1/tenants/${t}`,
    access: 'root',
    write: true,
    body: { name: 'Renamed' },
    wrongType: { body: { name: 5 }, path: '/name' },
    unknownField: { body: { nam: 'x' }, path: '/nam' }
  },
  { name: 'GET tenant', method: 'GET', url: t => `/v1/tenants/${t}`, access: 'admin', write: false },
  {
    name: 'POST keys',
    method: 'POST',
    url: t => `/v1/tenants/${t}/keys`,
    access: 'root',
    write: true,
    body: { scopes: ['check'] },
    wrongType: { body: { scopes: 'check' }, path: '/scopes' },
    unknownField: { body: { scopes: ['check'], root: true }, path: '/root' }
  },
  { name: 'GET audit', method: 'GET', url: t => `/v1/tenants/${t}/audit?entity_type=subject&limit=5`, access: 'audit', write: false },
  { name: 'GET keys', method: 'GET', url: t => `/v1/tenants/${t}/keys`, access: 'admin', write: false },
  { name: 'GET subjects', method: 'GET', url: t => `/v1/tenants/${t}/subjects?role=employee&limit=10`, access: 'admin', write: false },
  { name: 'GET permissions', method: 'GET', url: t => `/v1/tenants/${t}/subjects/marie/permissions`, access: 'admin', write: false },
  { name: 'GET permissions csv', method: 'GET', url: t => `/v1/tenants/${t}/subjects/marie/permissions?format=csv`, access: 'admin', write: false },
  { name: 'GET overrides', method: 'GET', url: t => `/v1/tenants/${t}/subjects/marie/overrides`, access: 'admin', write: false },
  {
    name: 'PUT overrides',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/subjects/marie/overrides`,
    access: 'admin',
    write: true,
    body: { flags: { manage_prices: true } },
    wrongType: { body: { flags: { manage_prices: 'yes' } }, path: '/flags/manage_prices' },
    unknownField: { body: { flags: {}, colour: 'red' }, path: '/colour' }
  },
  { name: 'DELETE overrides', method: 'DELETE', url: t => `/v1/tenants/${t}/subjects/marie/overrides`, access: 'admin', write: true },
  { name: 'GET groups', method: 'GET', url: t => `/v1/tenants/${t}/groups`, access: 'admin', write: false },
  {
    name: 'PUT group',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/groups/crew-a`,
    access: 'admin',
    write: true,
    body: { description: 'north crew' },
    wrongType: { body: { description: 7 }, path: '/description' },
    unknownField: { body: { description: 'x', members: [] }, path: '/members' }
  },
  { name: 'GET modules', method: 'GET', url: t => `/v1/tenants/${t}/modules`, access: 'admin', write: false },
  { name: 'GET module', method: 'GET', url: t => `/v1/tenants/${t}/modules/jobs`, access: 'admin', write: false },
  {
    name: 'PUT module',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/modules/assets`,
    access: 'admin',
    write: true,
    body: { actions: { view: { level: 'limited' } } },
    wrongType: { body: { actions: [] }, path: '/actions', code: 'policy_invalid' },
    unknownField: { body: { actions: { view: { level: 'limited' } }, colour: 'red' }, path: '/colour', code: 'policy_invalid' }
  },
  { name: 'GET flags', method: 'GET', url: t => `/v1/tenants/${t}/flags`, access: 'admin', write: false },
  { name: 'GET flag', method: 'GET', url: t => `/v1/tenants/${t}/flags/manage_prices`, access: 'admin', write: false },
  {
    name: 'PUT flag',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/flags/retire_assets`,
    access: 'admin',
    write: true,
    body: { description: 'Retire assets' },
    wrongType: { body: { description: 5 }, path: '/description' },
    unknownField: { body: { description: 'x', colour: 'red' }, path: '/colour' }
  },
  { name: 'GET roles', method: 'GET', url: t => `/v1/tenants/${t}/roles`, access: 'admin', write: false },
  { name: 'GET role', method: 'GET', url: t => `/v1/tenants/${t}/roles/manager`, access: 'admin', write: false },
  {
    name: 'PUT role',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/roles/dispatcher`,
    access: 'admin',
    write: true,
    body: { modules: { jobs: { access: 'all', level: 'management' } } },
    wrongType: { body: { all: 'yes' }, path: '/all', code: 'policy_invalid' },
    unknownField: { body: { all: true, colour: 'red' }, path: '/colour', code: 'policy_invalid' }
  },
  // DELETE key needs an id only known at run time: test/http/keys.test.ts covers it the same way.
  {
    name: 'PUT policy',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/policy`,
    access: 'admin',
    write: true,
    body: exampleBundle,
    wrongType: { body: { ...exampleBundle, roles: [] }, path: '/roles', code: 'policy_invalid' },
    unknownField: {
      body: { ...exampleBundle, roles: { ...exampleBundle.roles, manager: { modules: { jobs: { access: 'all', level: 'full', denny: ['delete'] } } } } },
      path: '/roles/manager/modules/jobs/denny',
      code: 'policy_invalid'
    }
  },
  { name: 'GET policy', method: 'GET', url: t => `/v1/tenants/${t}/policy`, access: 'admin', write: false },
  {
    name: 'PUT subject',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/subjects/newbie`,
    access: 'admin',
    write: true,
    body: { roles: ['employee'] },
    wrongType: { body: { roles: 'employee' }, path: '/roles' },
    unknownField: { body: { roles: ['employee'], rolez: ['manager'] }, path: '/rolez' }
  },
  { name: 'GET subject', method: 'GET', url: t => `/v1/tenants/${t}/subjects/marie`, access: 'admin', write: false },
  { name: 'DELETE subject', method: 'DELETE', url: t => `/v1/tenants/${t}/subjects/marie`, access: 'admin', write: true },
  {
    name: 'PUT resource',
    method: 'PUT',
    url: t => `/v1/tenants/${t}/resources/jobs/job-new`,
    access: 'admin',
    write: true,
    body: { assignee: 'marie' },
    wrongType: { body: { project: 5 }, path: '/project' },
    unknownField: { body: { acl: [{ who: '*', alow: ['view'] }] }, path: '/acl/0/alow' }
  },
  { name: 'GET resources', method: 'GET', url: t => `/v1/tenants/${t}/resources/jobs?limit=10`, access: 'admin', write: false },
  { name: 'GET resource', method: 'GET', url: t => `/v1/tenants/${t}/resources/jobs/job-1`, access: 'admin', write: false },
  { name: 'DELETE resource', method: 'DELETE', url: t => `/v1/tenants/${t}/resources/jobs/job-1`, access: 'admin', write: true },
  {
    name: 'POST evaluation',
    method: 'POST',
    url: () => '/access/v1/evaluation',
    access: 'check',
    write: false,
    body: evaluationBody,
    wrongType: { body: { ...evaluationBody, action: { name: 123 } }, path: '/action/name' }
  },
  {
    name: 'POST evaluations',
    method: 'POST',
    url: () => '/access/v1/evaluations',
    access: 'check',
    write: false,
    body: { ...evaluationBody, evaluations: [{}] },
    wrongType: { body: { ...evaluationBody, evaluations: {} }, path: '/evaluations' }
  },
  {
    name: 'POST search/resource',
    method: 'POST',
    url: () => '/access/v1/search/resource',
    access: 'check',
    write: false,
    body: { ...evaluationBody, resource: { type: 'jobs' } },
    wrongType: { body: { ...evaluationBody, page: { limit: 'ten' } }, path: '/page/limit' }
  },
  {
    name: 'POST search/subject',
    method: 'POST',
    url: () => '/access/v1/search/subject',
    access: 'check',
    write: false,
    body: { ...evaluationBody, subject: { type: 'user' } },
    wrongType: { body: { ...evaluationBody, subject: { type: 7 } }, path: '/subject/type' }
  },
  {
    name: 'POST search/action',
    method: 'POST',
    url: () => '/access/v1/search/action',
    access: 'check',
    write: false,
    body: { subject: evaluationBody.subject, resource: evaluationBody.resource },
    wrongType: { body: { subject: evaluationBody.subject, resource: { type: 'jobs', id: ['job-1'] } }, path: '/resource/id' }
  }
]
