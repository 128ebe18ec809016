/**
 * Examples for the OpenAPI document, by operationId: a request body and the JSON body of
 * the first success response. They are placed into the generated document (the
 * swagger plugin's `transformObject`), and test/http/openapi.test.ts checks that every
 * JSON request body has one and that each validates against its schema, so an example
 * cannot drift from the API it shows.
 */

export interface OperationExamples {
  request?: unknown
  response?: unknown
}

const subject = { type: 'user', id: 'marie' }
const bundle = {
  version: 1,
  flags: { manage_prices: 'See prices and send documents to clients' },
  modules: {
    jobs: {
      relations: ['assignee', 'creator'],
      assigned: ['assignee'],
      actions: { view: { level: 'limited' }, edit: { level: 'management' }, delete: { level: 'full' } },
      fields: { client_name: {}, price: { flags: ['manage_prices'] } }
    }
  },
  roles: {
    employee: { modules: { jobs: { access: 'assigned', level: 'limited' } } },
    manager: { flags: ['manage_prices'], modules: { jobs: { access: 'all', level: 'full', deny: ['delete'] } } }
  }
}
const marie = { id: 'marie', roles: ['employee'], aliases: ['marie@acme.example'], groups: ['crew-a'] }
const page = { next_token: '', count: 1 }

export const OPERATION_EXAMPLES: Record<string, OperationExamples> = {
  evaluate: {
    request: { subject, action: { name: 'view' }, resource: { type: 'jobs', id: 'job-1' } },
    response: {
      decision: true,
      context: { reason: { code: 'role_grant', message: 'role `employee` grants `view` on `jobs` to `marie`' }, fields: { visible: ['client_name'], editable: [] }, revision: 5 }
    }
  },
  evaluateMany: {
    request: { subject, resource: { type: 'jobs', id: 'job-1' }, evaluations: [{ action: { name: 'view' } }, { action: { name: 'edit' } }] },
    response: { evaluations: [{ decision: true }, { decision: false }] }
  },
  searchResources: {
    request: { subject, action: { name: 'view' }, resource: { type: 'jobs' }, page: { limit: 100 } },
    response: {
      page,
      results: [{ type: 'jobs', id: 'job-1' }],
      context: { plan: { kind: 'conditional', filter: { op: 'relation_contains_any', relation: 'assignee', values: ['marie', 'marie@acme.example'] } }, revision: 5 }
    }
  },
  searchSubjects: {
    request: { subject: { type: 'user' }, action: { name: 'edit' }, resource: { type: 'jobs', id: 'job-1' } },
    response: { page, results: [{ type: 'user', id: 'paul' }], context: { revision: 5 } }
  },
  searchActions: {
    request: { subject, resource: { type: 'jobs', id: 'job-1' } },
    response: { page, results: [{ name: 'view' }], context: { revision: 5, fields: { view: { visible: ['client_name'], editable: [] } } } }
  },
  putTenant: { request: { name: 'Acme Plumbing' }, response: { id: 'acme', name: 'Acme Plumbing', revision: 1, createdAt: '2026-11-23T09:00:00.000Z' } },
  createKey: {
    request: { scopes: ['check', 'admin'] },
    response: { id: '5f0c6a1e9b2d4c8a7e3f1b20', tenant: 'acme', scopes: ['check', 'admin'], actor: 'optional', secret: 'gh_5f0c6a1e9b2d4c8a7e3f1b20_Q2hhbmdlIG1lOiB0aGlzIGlzIGFuIGV4YW1wbGUga2V5' }
  },
  putPolicy: { request: bundle, response: { revision: 3 } },
  diffPolicy: { request: { bundle } },
  runPolicyTests: {
    request: {
      subjects: { marie: { roles: ['employee'] } },
      resources: [{ type: 'jobs', id: 'job-1', properties: { assignee: 'marie' } }],
      cases: [{ subject: 'marie', resource: 'jobs/job-1', allow: ['view'], deny: ['edit'] }]
    }
  },
  putSubject: { request: { roles: ['employee'], aliases: ['marie@acme.example'], groups: ['crew-a'] }, response: marie },
  putResource: { request: { project: 'site-12', assignee: 'marie' }, response: { type: 'jobs', id: 'job-1', properties: { project: 'site-12', assignee: ['marie'] } } },
  putModule: { request: bundle.modules.jobs, response: bundle.modules.jobs },
  putRole: { request: bundle.roles.manager, response: bundle.roles.manager },
  putFlag: { request: { description: 'See prices' }, response: { description: 'See prices' } },
  putGroup: { request: { description: 'North crew' }, response: { id: 'crew-a', description: 'North crew', members: ['marie'] } },
  putOverrides: { request: { flags: { manage_prices: true }, modules: { jobs: { allow: ['edit'] } } }, response: { flags: { manage_prices: true }, modules: { jobs: { allow: ['edit'] } } } },
  listSubjects: { response: { subjects: [marie], next: '' } },
  listKeys: { response: { keys: [{ id: '5f0c6a1e9b2d4c8a7e3f1b20', scopes: ['check'], actor: 'optional', createdAt: '2026-11-23T09:00:00.000Z', revokedAt: null }] } },
  listAudit: {
    response: {
      entries: [{
        revision: 4,
        at: '2026-11-23T09:00:00.000Z',
        keyId: '5f0c6a1e9b2d4c8a7e3f1b20',
        actor: 'olivia',
        action: 'put',
        entityType: 'subject',
        entityId: 'marie',
        before: null,
        after: marie
      }],
      next: ''
    }
  },
  getPermissions: {
    response: {
      subject: 'marie',
      flags: [],
      cells: [
        { module: 'jobs', action: 'view', scope: ['assignee'], sources: ['employee'], fields: { visible: ['client_name'], editable: [] } },
        { module: 'jobs', action: 'edit', scope: ['assignee'], sources: ['custom'], fields: { visible: ['client_name'], editable: [] } },
        { module: 'jobs', action: 'delete', scope: 'none', sources: [] }
      ],
      projects: {}
    }
  }
}

type Operation = { operationId?: string, requestBody?: { content?: Record<string, { example?: unknown }> }, responses?: Record<string, { content?: Record<string, { example?: unknown }> }> }

/** Places the examples into a generated document (mutates and returns it). */
export function withExamples<T extends { paths?: object }> (doc: T): T {
  for (const methods of Object.values(doc.paths ?? {}) as Array<Record<string, unknown>>) {
    for (const op of Object.values(methods ?? {}) as Operation[]) {
      const examples = op.operationId === undefined ? undefined : OPERATION_EXAMPLES[op.operationId]
      if (examples === undefined) continue
      const body = op.requestBody?.content?.['application/json']
      if (examples.request !== undefined && body !== undefined) body.example = examples.request
      const success = Object.keys(op.responses ?? {}).filter(code => code.startsWith('2')).sort()[0]
      const json = success === undefined ? undefined : op.responses?.[success]?.content?.['application/json']
      if (examples.response !== undefined && json !== undefined) json.example = examples.response
    }
  }
  return doc
}
