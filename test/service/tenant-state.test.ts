import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createServices, mintKey, ServiceError } from '../../src/service/index.js'
import { findCompiledSubject, TenantStates } from '../../src/service/tenant-state.js'
import { eachBackend } from '../helpers/build-app.js'
import { evaluation, exampleBundle } from '../http/fixtures.js'
import { countingStore } from './counting-store.js'

const fresh = () => `s-${randomBytes(5).toString('hex')}`

await eachBackend(t, async (t, backend) => {
  /** Two processes' services over one store (no change feed between them): a writer, and a replica whose store calls are counted; a tenant with the example policy. */
  async function twoReplicas (): Promise<{ writer: ReturnType<typeof createServices>, replica: ReturnType<typeof createServices>, calls: string[], tenant: string }> {
    const writer = createServices({ store: backend.store, rootKey: undefined })
    const { store, calls } = countingStore(backend.store)
    const replica = createServices({ store, rootKey: undefined })
    const tenant = fresh()
    await writer.admin.putTenant(tenant, {})
    await writer.admin.putPolicy(tenant, exampleBundle)
    return { writer, replica, calls, tenant }
  }

  await t.test('a warm decision makes no store call at all', async t => {
    const { store, calls } = countingStore(backend.store)
    const services = createServices({ store, rootKey: undefined })
    const tenant = fresh()
    await services.admin.putTenant(tenant, {})
    await services.admin.putPolicy(tenant, exampleBundle)
    await services.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    await services.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'marie' })
    const body = evaluation('marie', 'view', 'jobs', 'job-1') as Parameters<typeof services.decisions.evaluate>[1]
    t.equal((await services.decisions.evaluate(tenant, body)).decision, true)
    const unknown = evaluation('marie', 'view', 'jobs', 'job-404') as Parameters<typeof services.decisions.evaluate>[1]
    await services.decisions.evaluate(tenant, unknown)
    calls.length = 0
    for (let i = 0; i < 5; i++) {
      await services.decisions.evaluate(tenant, body)
      await services.decisions.evaluate(tenant, unknown)
      await services.decisions.evaluateMany(tenant, { ...body, evaluations: [{}, { action: { name: 'edit' } }] })
    }
    t.same(calls, [], 'stored and absent resources, subjects and the policy all come from memory')
    // The hot path allocates no promise once warm: decisions and key checks answer at once.
    t.notOk(services.decisions.evaluate(tenant, body) instanceof Promise, 'a warm evaluation answers without a promise')
    const { token, keyId, secretHash } = mintKey()
    await store.createKey({ id: keyId, tenantId: tenant, secretHash, scopes: ['check'] })
    t.ok(services.keys.authenticate(token) instanceof Promise, 'a key not yet read waits on the store')
    t.match(await services.keys.authenticate(token), { kind: 'tenant', tenantId: tenant })
    t.match(services.keys.authenticate(token), { kind: 'tenant', tenantId: tenant }, 'then answers at once')
  })

  await t.test('a resource cache too small for an ancestor chain still resolves it, reading each resource once', async t => {
    const { store, calls } = countingStore(backend.store)
    const writer = createServices({ store: backend.store, rootKey: undefined })
    const tenant = fresh()
    await writer.admin.putTenant(tenant, {})
    await writer.admin.putPolicy(tenant, exampleBundle)
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    await writer.admin.putResource(tenant, 'documents', 'd3', { acl: [] })
    for (let i = 2; i >= 0; i--) await writer.admin.putResource(tenant, 'documents', `d${i}`, { parent: `d${i + 1}` })
    const services = createServices({ store, rootKey: undefined, resourceCacheSize: 1 })
    const body = evaluation('marie', 'view', 'documents', 'd0') as Parameters<typeof services.decisions.evaluate>[1]
    await services.decisions.evaluate(tenant, evaluation('marie', 'view', 'documents', 'elsewhere') as Parameters<typeof services.decisions.evaluate>[1])
    calls.length = 0
    const answer = await services.decisions.evaluate(tenant, body)
    t.equal(answer.context.reason.code, 'acl_deny', 'the ACL three levels up applies')
    t.same(calls, ['getResource', 'getResource', 'getResource', 'getResource'], 'd0 to d3, each read once')
  })

  await t.test('forgetting a tenant rereads its cached resources and keys, and no other tenant\'s', async t => {
    const { store, calls } = countingStore(backend.store)
    const services = createServices({ store, rootKey: undefined })
    const [a, b] = [fresh(), fresh()]
    const tokens: string[] = []
    for (const tenant of [a, b]) {
      await services.admin.putTenant(tenant, {})
      await services.admin.putPolicy(tenant, exampleBundle)
      await services.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'marie' })
      const { keyId, token, secretHash } = mintKey()
      await store.createKey({ id: keyId, tenantId: tenant, secretHash, scopes: ['check'] })
      tokens.push(token)
    }
    const useBoth = async (): Promise<void> => {
      for (const [i, tenant] of [a, b].entries()) {
        t.ok(await services.resources.get(tenant, 'jobs', 'job-1'))
        t.match(await services.keys.authenticate(tokens[i] as string), { tenantId: tenant })
      }
    }
    await useBoth()
    calls.length = 0
    await useBoth()
    t.same(calls, [], 'both tenants cached')
    services.resources.invalidateTenant(a)
    services.keys.forgetTenant(a)
    await useBoth()
    t.same(calls, ['getResource', 'getKey'], 'only tenant a is read again')
    calls.length = 0
    await useBoth()
    t.same(calls, [], 'and cached again')
  })

  await t.test('the compiled subject is cached per subject and policy, and dropped when either changes', async t => {
    const services = createServices({ store: backend.store, rootKey: undefined })
    const tenant = fresh()
    await services.admin.putTenant(tenant, {})
    await services.admin.putPolicy(tenant, exampleBundle)
    await services.admin.putSubject(tenant, 'marie', { roles: ['employee'], aliases: ['m@x'] })
    await services.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'marie' })
    const decide = async (action: string): Promise<string> =>
      (await services.decisions.evaluate(tenant, evaluation('marie', action, 'jobs', 'job-1') as Parameters<typeof services.decisions.evaluate>[1])).context.reason.code
    t.equal(await decide('edit'), 'level_insufficient')
    const state = await services.states.get(tenant)
    const policy = state.policy
    if (policy === undefined) throw new Error('no policy')
    const cached = findCompiledSubject(state, policy, 'marie')
    t.equal(findCompiledSubject(state, policy, 'marie'), cached, 'one compiled subject per subject and policy')
    t.equal(findCompiledSubject(state, policy, 'm@x'), cached, 'by alias too')
    t.equal(findCompiledSubject(state, policy, 'nobody'), undefined)

    await services.admin.putSubject(tenant, 'marie', { roles: ['manager'] })
    t.equal(await decide('edit'), 'role_grant', 'a subject write is seen')
    t.not(findCompiledSubject(state, policy, 'marie'), cached, 'the written subject is compiled anew')

    const manager = findCompiledSubject(state, policy, 'marie')
    await services.admin.putPolicy(tenant, { ...exampleBundle, roles: { ...exampleBundle.roles, manager: { modules: { jobs: { access: 'all', level: 'limited' } } } } })
    t.equal(await decide('edit'), 'level_insufficient', 'a policy write is seen')
    const newPolicy = (await services.states.get(tenant)).policy
    if (newPolicy === undefined) throw new Error('no policy')
    const recompiled = findCompiledSubject(state, newPolicy, 'marie')
    t.not(recompiled, manager, 'compiled again for the new policy')
    t.equal(recompiled?.policy, newPolicy)
  })

  await t.test('a tenant loads once; an unknown tenant is not cached', async t => {
    const { store, calls } = countingStore(backend.store)
    const states = new TenantStates({ store })
    const tenant = fresh()
    await t.rejects(states.get(tenant), ServiceError)
    await store.putTenant(tenant, { name: 'x' })
    calls.length = 0
    const [a, b] = await Promise.all([states.get(tenant), states.get(tenant)])
    t.equal(a, b, 'concurrent first uses share one load')
    t.equal(calls.filter(c => c === 'getTenant').length, 1)
    await states.get(tenant)
    t.equal(calls.filter(c => c === 'getTenant').length, 1, 'the second use is memory')
  })

  await t.test('a write that lands while the state loads drops the state, so the next use sees the write', async t => {
    const states = new TenantStates({ store: backend.store })
    const tenant = fresh()
    await backend.store.putTenant(tenant, { name: 'x' })
    const loading = states.get(tenant)
    const written = await backend.store.putSubject(tenant, { id: 'late', roles: [] })
    states.apply(tenant, written.entry)
    await loading
    const state = await states.get(tenant)
    t.ok(state.subjectsById.has('late'))
    t.equal(state.revision, written.revision)
  })

  await t.test('a replica catches up with another\'s subject, resource and key writes in place, and ends as a fresh load', async t => {
    const { writer, replica, calls, tenant } = await twoReplicas()
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'], aliases: ['m@x'] })
    await writer.admin.putSubject(tenant, 'paul', { roles: ['employee'] })
    await writer.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'marie' })
    const edit = evaluation('marie', 'edit', 'jobs', 'job-1') as Parameters<typeof replica.decisions.evaluate>[1]
    t.equal((await replica.decisions.evaluate(tenant, edit)).decision, false)
    const before = await replica.states.get(tenant)

    await writer.admin.putSubject(tenant, 'marie', { roles: ['manager'], aliases: ['marie@x'] })
    await writer.admin.deleteSubject(tenant, 'paul')
    await writer.admin.putSubject(tenant, 'zoe', { roles: ['employee'], groups: ['crew-a'] })
    await writer.admin.putResource(tenant, 'jobs', 'job-2', { assignee: 'zoe' })
    const key = await writer.admin.createKey(tenant, ['check'])
    calls.length = 0
    const after = await replica.states.refresh(tenant)
    t.equal(after, before, 'the same state, changed in place')
    t.notOk(calls.includes('listSubjects') || calls.includes('getPolicy'), 'no subject or policy was reloaded')
    const reference = await new TenantStates({ store: backend.store }).get(tenant)
    t.equal(after?.revision, reference.revision, 'at the stored revision')
    t.same(new Map(after?.subjectsById), reference.subjectsById, 'the same subjects as a fresh load')
    t.same(new Map(after?.subjectsByAlias), reference.subjectsByAlias, 'and the same aliases')
    t.equal((await replica.decisions.evaluate(tenant, edit)).decision, true, 'decisions see the written subject')
    t.match(await replica.keys.authenticate(key.secret), { tenantId: tenant })
  })

  await t.test('a refresh makes the caches forget the resources and keys other processes wrote, before the new revision answers, and only those', async t => {
    const { writer, replica, calls, tenant } = await twoReplicas()
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    await writer.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'marie' })
    await writer.admin.putResource(tenant, 'jobs', 'job-2', { assignee: 'marie' })
    const key = await writer.admin.createKey(tenant, ['check'])
    const view = (id: string, context?: Record<string, unknown>): Parameters<typeof replica.decisions.evaluate>[1] =>
      ({ ...evaluation('marie', 'view', 'jobs', id), ...(context === undefined ? {} : { context }) }) as Parameters<typeof replica.decisions.evaluate>[1]
    t.equal((await replica.decisions.evaluate(tenant, view('job-1'))).decision, true)
    t.equal((await replica.decisions.evaluate(tenant, view('job-2'))).decision, true)
    t.match(await replica.keys.authenticate(key.secret), { tenantId: tenant })

    // Another replica reassigns job-1 and revokes the key; this one has had no notification.
    await writer.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'paul' })
    const { revision } = await writer.admin.revokeKey(tenant, key.id)
    calls.length = 0
    const after = await replica.decisions.evaluate(tenant, view('job-1', { min_revision: revision }))
    t.equal(after.context.revision, revision, 'answered at the revision asked for')
    t.equal(after.decision, false, 'with job-1 as written at that revision, not as cached before')
    t.equal((await replica.decisions.evaluate(tenant, view('job-2'))).decision, true)
    t.equal(await replica.keys.authenticate(key.secret), undefined, 'the revoked key is refused')
    t.equal(calls.filter(c => c === 'getResource').length, 1, 'job-1 alone was read again; job-2 stayed cached')
    t.equal(calls.filter(c => c === 'getKey').length, 1, 'the key was read again')
    t.notOk(calls.includes('listSubjects') || calls.includes('getPolicy'), 'caught up in place')
  })

  await t.test('min_revision makes the three searches answer from a state at least that new', async t => {
    const { writer, replica, tenant } = await twoReplicas()
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    await writer.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'paul' })
    const user = { type: 'user', id: 'marie' }
    const job = { type: 'jobs', id: 'job-1' }
    const asked = (context?: Record<string, unknown>): { context?: Record<string, unknown> } => context === undefined ? {} : { context }
    const resources = async (context?: Record<string, unknown>) => await replica.search.resources(tenant, { subject: user, action: { name: 'view' }, resource: { type: 'jobs' }, ...asked(context) })
    const subjects = async (context?: Record<string, unknown>) => await replica.search.subjects(tenant, { subject: { type: 'user' }, action: { name: 'view' }, resource: job, ...asked(context) })
    const actions = async (context?: Record<string, unknown>) => await replica.search.actions(tenant, { subject: user, resource: job, ...asked(context) })
    t.same((await resources()).results, [], 'job-1 is paul\'s')
    t.same((await subjects()).results, [])
    t.same((await actions()).results, [])

    // Another replica assigns job-1 to marie; this one has had no notification.
    const { revision } = await writer.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'marie' })
    t.ok((await resources()).context.revision < revision, 'without min_revision the replica answers at its own revision')
    const at = { min_revision: revision }
    const found = await resources(at)
    t.equal(found.context.revision, revision, 'search/resource answers at the revision asked for')
    t.same(found.results, [job], 'with the write')
    t.same((await subjects(at)).results, [user], 'search/subject too')
    t.same((await actions(at)).results.map(a => a.name), ['view', 'note', 'punch'], 'search/action too: what an assignee may do')

    await t.rejects(resources({ min_revision: revision + 1000 }), { code: 'validation_failed', details: [{ path: '/context/min_revision', code: 'revision_ahead' }] }, 'a revision the store has not reached is refused')
    await t.rejects(actions({ min_revision: 'soon' }), { code: 'validation_failed', details: [{ path: '/context/min_revision', code: 'type' }] })
  })

  await t.test('a write of this process that follows writes it has not seen leaves its revision behind until a catch-up brings them in', async t => {
    const { writer, replica, tenant } = await twoReplicas()
    const before = (await replica.states.get(tenant)).revision
    const unseen = await writer.admin.putSubject(tenant, 'zoe', { roles: ['employee'] })
    const own = await replica.admin.putSubject(tenant, 'marie', { roles: ['manager'] })
    t.equal(own.revision, unseen.revision + 1)
    t.ok((replica.states.revisionOf(tenant) ?? 0) < own.revision, 'the state does not claim the write it has not applied')
    const state = await replica.states.refresh(tenant)
    t.equal(state?.revision, own.revision, 'caught up to its own write')
    t.ok(state?.subjectsById.has('zoe'), 'with the write it had not seen')
    t.same(state?.subjectsById.get('marie')?.roles, ['manager'], 'and its own')
    t.ok(before < unseen.revision)
    // The notification of the unseen write, arriving late, changes nothing more.
    replica.propagation.changed(tenant, unseen.revision)
    t.equal(replica.states.revisionOf(tenant), own.revision)
  })

  await t.test('a policy change, or a gap in what a catch-up can apply, reloads the tenant whole', async t => {
    const { writer, replica, tenant } = await twoReplicas()
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    const before = await replica.states.get(tenant)
    await writer.admin.putSubject(tenant, 'marie', { roles: ['manager'] })
    await writer.admin.putPolicy(tenant, { ...exampleBundle, roles: { ...exampleBundle.roles, manager: { modules: { jobs: { access: 'all', level: 'limited' } } } } })
    const after = await replica.states.refresh(tenant)
    t.not(after, before, 'a new state')
    t.not(after?.policy, before.policy, 'with the new policy')
    t.same(after?.subjectsById.get('marie')?.roles, ['manager'], 'and the subject written before it')
  })

  await t.test('a whole reload makes the caches forget the resources and keys written since, and only those', async t => {
    const { writer, replica, calls, tenant } = await twoReplicas()
    await writer.admin.putSubject(tenant, 'marie', { roles: ['employee'] })
    for (const id of ['job-1', 'job-2']) await writer.admin.putResource(tenant, 'jobs', id, { assignee: 'marie' })
    const kept = await writer.admin.createKey(tenant, ['check'])
    const revoked = await writer.admin.createKey(tenant, ['check'])
    const view = (id: string): Parameters<typeof replica.decisions.evaluate>[1] => evaluation('marie', 'view', 'jobs', id) as Parameters<typeof replica.decisions.evaluate>[1]
    for (const id of ['job-1', 'job-2']) t.equal((await replica.decisions.evaluate(tenant, view(id))).decision, true)
    for (const key of [kept, revoked]) t.match(await replica.keys.authenticate(key.secret), { tenantId: tenant })

    // Another replica reassigns job-1, revokes a key, then edits the policy: no catch-up in place.
    await writer.admin.putResource(tenant, 'jobs', 'job-1', { assignee: 'paul' })
    await writer.admin.revokeKey(tenant, revoked.id)
    const policy = await writer.admin.putPolicy(tenant, { ...exampleBundle, flags: { ...exampleBundle.flags, night_shift: 'Works nights' } })
    calls.length = 0
    const state = await replica.states.refresh(tenant)
    t.equal(state?.revision, policy.revision)
    t.ok(calls.includes('getPolicy') && calls.includes('listSubjects'), 'reloaded whole')
    calls.length = 0
    t.equal((await replica.decisions.evaluate(tenant, view('job-1'))).decision, false, 'job-1 as written since')
    t.equal((await replica.decisions.evaluate(tenant, view('job-2'))).decision, true)
    t.equal(await replica.keys.authenticate(revoked.secret), undefined, 'the revoked key is refused')
    t.match(replica.keys.authenticate(kept.secret), { tenantId: tenant }, 'the other key answers from memory')
    t.same(calls.filter(c => c === 'getResource' || c === 'getKey'), ['getResource', 'getKey'], 'only job-1 and the revoked key were read again')
  })

  await t.test('invalidate makes the next use read the store again', async t => {
    const states = new TenantStates({ store: backend.store })
    const tenant = fresh()
    await backend.store.putTenant(tenant, { name: 'x' })
    const before = await states.get(tenant)
    await backend.store.putSubject(tenant, { id: 'elsewhere', roles: [] })
    t.notOk((await states.get(tenant)).subjectsById.has('elsewhere'), 'a write of another process is not seen')
    states.invalidate(tenant)
    const after = await states.get(tenant)
    t.not(after, before)
    t.ok(after.subjectsById.has('elsewhere'))
  })

  await t.test('the ancestor walk is bounded', async t => {
    const services = createServices({ store: backend.store, rootKey: undefined })
    const tenant = fresh()
    await services.admin.putTenant(tenant, {})
    await services.admin.putPolicy(tenant, exampleBundle)
    await services.admin.putSubject(tenant, 'marie', { roles: ['employee'], groups: ['crew-a'] })
    // An ACL 40 levels up is beyond the bound: the role answers (documents: access all, limited).
    await services.admin.putResource(tenant, 'documents', 'd40', { acl: [] })
    for (let i = 39; i >= 0; i--) await services.admin.putResource(tenant, 'documents', `d${i}`, { parent: `d${i + 1}` })
    const deep = await services.decisions.evaluate(tenant, evaluation('marie', 'view', 'documents', 'd0') as Parameters<typeof services.decisions.evaluate>[1])
    t.equal(deep.decision, true)
    t.equal(deep.context.reason.code, 'role_grant')
    const near = await services.decisions.evaluate(tenant, evaluation('marie', 'view', 'documents', 'd39') as Parameters<typeof services.decisions.evaluate>[1])
    t.equal(near.context.reason.code, 'acl_deny', 'within the bound, the empty ACL allows nothing')
  })
})
