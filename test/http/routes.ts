/**
 * Every route of a tenant, with a valid request and its bad variants, for the table
 * tests (bad input, cross-tenant). Bodies are built per tenant so that each test runs
 * on fresh data.
 */
import { exampleBundle } from './fixtures.js'

export type Access = 'root' | 'admin' | 'check'

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
  }
]
