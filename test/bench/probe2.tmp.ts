import pg from 'pg'
import { performance } from 'node:perf_hooks'
import { compileBundle, planSearch } from '../../src/engine/index.js'
import { openPostgresStore } from '../../src/store/connect.js'
import { planToSql } from '../../src/store/plan-sql.js'
const url = process.argv[2] as string
const pool = new pg.Pool({ connectionString: url, max: 2 })
const store = await openPostgresStore(pool, { close: async () => {} })
const bundle: any = {
  version: 1,
  modules: {
    docs: { relations: ['assignee'], assigned: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } },
    plain: { relations: ['assignee'], assigned: ['assignee'], actions: { view: { level: 'limited' }, edit: { level: 'management' } } }
  },
  roles: {
    manager: { modules: { docs: { access: 'all', level: 'full' }, plain: { access: 'all', level: 'full' } } },
    employee: { modules: { docs: { access: 'assigned', level: 'limited' }, plain: { access: 'assigned', level: 'limited' } } },
    observer: { modules: { docs: { access: 'all', level: 'limited' }, plain: { access: 'all', level: 'limited' } } }
  }
}
const c = compileBundle(bundle); if (!c.ok) throw new Error('x')
const subjects: any[] = [
  ['plain', { id: 'boss', roles: ['manager'] }],
  ['docs', { id: 'boss', roles: ['manager'] }],
  ['docs', { id: 'obs', roles: ['observer'] }],
  ['docs', { id: 'u-13', roles: ['employee'], groups: ['g-23'] }],
  ['docs', { id: 'u-43', roles: [], groups: ['g-33'] }],
  ['docs', { id: 'nobody-named', roles: [] }],
]
for (const [module, subject] of subjects) {
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now()
    const facts = await store.getSearchFacts('bench', module)
    const t1 = performance.now()
    const plan = planSearch(c.policy, subject, 'view', module, facts)
    const page = await store.listResources('bench', module, plan, { limit: 100 })
    const t2 = performance.now()
    if (k === 2) console.log(module, subject.id, 'facts', (t1 - t0).toFixed(1), 'page', (t2 - t1).toFixed(1), 'ids', page.ids.length)
  }
  if (process.argv[3] === 'explain' && module === 'docs') {
    const plan = planSearch(c.policy, subject, 'view', module, { hasAcls: true, aclConditions: [] })
    const { where, params } = planToSql(plan, { id: 'resources.id', project: 'resources.effective_project', relations: { assignee: { join: { table: 'resource_relations', key: 'resource_id', valueColumn: 'value', resourceKey: 'resources.id', where: { tenant_id: 'bench', module, relation: 'assignee' } } } }, acl: { holder: 'resources.acl_holder', entries: { table: 'acl_entries', holder: 'holder_id', who: 'who', action: 'action', effect: 'effect', when: 'when', where: { tenant_id: 'bench', module } } } }, { startIndex: 3 })
    const r = await pool.query(`explain (analyze, buffers) select id from resources where tenant_id = $1 and module = $2 and ${where} order by id limit 101`, ['bench', module, ...params])
    console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n'))
  }
}
await pool.end()
