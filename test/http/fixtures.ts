/**
 * The worked example of DESIGN.md §2 (module `jobs`, roles employee / manager / admin)
 * plus a `documents` module with folders and ACLs, shared by the HTTP tests.
 */

export const exampleBundle = {
  version: 1,
  flags: {
    manage_prices: 'See prices and send documents to clients',
    delete_entities: 'Delete entities the user can access'
  },
  modules: {
    jobs: {
      relations: ['assignee', 'responsible', 'creator'],
      assigned: ['assignee', 'responsible'],
      actions: {
        view: { level: 'limited' },
        note: { level: 'limited' },
        punch: { level: 'full' },
        edit: { level: 'management' },
        create: { level: 'full' },
        delete: { level: 'full', flags: ['delete_entities'] }
      },
      fields: {
        client_name: {},
        price: { flags: ['manage_prices'] }
      }
    },
    documents: {
      relations: ['creator'],
      actions: {
        view: { level: 'limited' },
        edit: { level: 'management' }
      }
    }
  },
  roles: {
    employee: {
      modules: {
        jobs: { access: 'assigned', level: 'limited', allow: ['punch'] },
        documents: { access: 'all', level: 'limited' }
      }
    },
    manager: {
      flags: ['manage_prices'],
      modules: {
        jobs: { access: 'all', level: 'full', deny: ['delete'] },
        documents: { access: 'all', level: 'full' }
      }
    },
    admin: { protected: true, all: true }
  }
}

export const exampleYaml = `version: 1
flags:
  manage_prices: See prices and send documents to clients
  delete_entities: Delete entities the user can access
modules:
  jobs:
    relations: [assignee, responsible, creator]
    assigned: [assignee, responsible]
    actions:
      view:   { level: limited }
      note:   { level: limited }
      punch:  { level: full }
      edit:   { level: management }
      create: { level: full }
      delete: { level: full, flags: [delete_entities] }
    fields:
      client_name: {}
      price: { flags: [manage_prices] }
  documents:
    relations: [creator]
    actions:
      view: { level: limited }
      edit: { level: management }
roles:
  employee:
    modules:
      jobs: { access: assigned, level: limited, allow: [punch] }
      documents: { access: all, level: limited }
  manager:
    flags: [manage_prices]
    modules:
      jobs: { access: all, level: full, deny: [delete] }
      documents: { access: all, level: full }
  admin:
    protected: true
    all: true
`

export const exampleSubjects = {
  marie: { roles: ['employee'], aliases: ['marie@example.com'], groups: ['crew-a'] },
  paul: { roles: ['manager'] },
  ada: { roles: ['admin'] },
  olga: { roles: ['employee'], status: 'inactive' }
}

/** An AuthZEN evaluation body. */
export function evaluation (subject: string, action: string, type: string, id: string, properties?: Record<string, unknown>): Record<string, unknown> {
  const resource: Record<string, unknown> = { type, id }
  if (properties !== undefined) resource.properties = properties
  return { subject: { type: 'user', id: subject }, action: { name: action }, resource }
}
