/**
 * Shared engine fixtures: one bundle rich enough to exercise every rule of
 * docs/decisions/0001-decision-semantics.md, used by the decision table and by the
 * export round trip.
 */
import type { CompiledPolicy } from '../../src/engine/index.js'
import { compileBundle } from '../../src/engine/index.js'

/** The decision-table bundle, written with some defaults spelt out (export must drop them). */
export const richBundle = {
  version: 1,
  flags: {
    manage_prices: 'see prices and send documents to clients',
    delete_entities: 'delete entities the user can access',
    view_personal_info: 'see phone numbers and addresses',
    view_costs: 'see costs'
  },
  modules: {
    jobs: {
      description: 'jobs and work orders',
      relations: ['assignee', 'responsible', 'creator'],
      assigned: ['assignee', 'responsible'],
      actions: {
        view: { level: 'limited' },
        note: { level: 'limited' },
        quote: { level: 'limited', flags: ['manage_prices'] },
        edit: { level: 'management' },
        close: { level: 'management' },
        punch: { level: 'full' },
        create: { level: 'full' },
        delete: { level: 'full', flags: ['delete_entities'], description: 'remove the job' }
      },
      fields: {
        client_name: {},
        notes: { flags: [] },
        price: { flags: ['manage_prices'] },
        phone: { flags: ['view_personal_info'], description: 'the client phone' }
      }
    },
    invoices: {
      actions: { view: { level: 'limited' }, edit: { level: 'management' }, approve: { level: 'full' } }
    },
    tickets: {
      relations: ['requester', 'creator'],
      actions: { view: { level: 'limited' }, edit: { level: 'management' }, close: { level: 'management' }, delete: { level: 'full' } }
    },
    documents: {
      relations: ['author'],
      actions: { view: { level: 'limited' }, edit: { level: 'management' }, delete: { level: 'full' } },
      fields: { title: {}, amount: { flags: ['view_costs'] } }
    }
  },
  roles: {
    employee: {
      description: 'field technician',
      protected: false,
      flags: [],
      modules: { jobs: { access: 'assigned', level: 'limited', allow: ['punch'], deny: [] } }
    },
    manager: {
      flags: ['manage_prices'],
      modules: {
        jobs: { access: 'all', level: 'full', deny: ['delete'] },
        tickets: { access: 'all', level: 'limited', scope: {} }
      }
    },
    supervisor: { flags: ['delete_entities'], modules: { jobs: { access: 'all', level: 'full' } } },
    closer: { modules: { jobs: { access: 'all', level: 'management', scope: { close: ['creator'], delete: 'none' } } } },
    creator_only: { modules: { jobs: { access: ['creator'], level: 'limited' } } },
    noter: { modules: { jobs: { access: 'all', allow: ['note'] } } },
    blind: { modules: { jobs: { access: 'none', level: 'full', admin: false } } },
    fieldy: { modules: { jobs: { access: 'all', level: 'limited', fields: { notes: 'edit', client_name: 'hidden' } } } },
    pricer: { flags: ['view_personal_info'], modules: { jobs: { access: 'all', level: 'limited', fields: { price: 'edit', phone: 'read' } } } },
    requester: { modules: { tickets: { access: 'assigned', level: 'limited' } } },
    site_operative: { modules: { tickets: { access: 'all', level: 'management' } } },
    accountant: { flags: ['view_costs'], modules: { invoices: { access: 'all', level: 'full' }, documents: { access: 'all', level: 'limited' } } },
    observer: { modules: { documents: { access: ['author'], level: 'management' } } },
    jobs_admin: { protected: true, modules: { jobs: { admin: true, access: 'none' } } },
    superuser: { protected: true, all: true },
    price_flag: { flags: ['manage_prices'] },
    idle: {}
  }
} as const

/** `richBundle` compiled; throws if it does not compile (a broken fixture, not a test result). */
export function richPolicy (): CompiledPolicy {
  const compiled = compileBundle(richBundle)
  if (!compiled.ok) throw new Error(`fixture does not compile: ${JSON.stringify(compiled.issues)}`)
  return compiled.policy
}
