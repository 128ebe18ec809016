/**
 * The packages as a user meets them: every workspace of `packages/` is packed with
 * `npm pack` (its `prepack` builds it), the tarballs are installed into an empty project
 * in a temporary folder (Fastify and Express from the registry, or npm's cache), and from
 * there: the CLI runs on a template and its suite; the client, the Fastify plugin and the
 * Express middleware talk to a real gatehouse server listening on a port. What the
 * project imports resolves inside it, never in this repository.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import type { paths } from '../client/gatehouse-api.js'
import { buildTestApp, eachBackend, freshTenantId } from '../helpers/build-app.js'
import { NO_CHILD_COVERAGE } from '../helpers/child-coverage.js'
import { exampleBundle } from '../http/fixtures.js'

type ClientModule = typeof import('../../packages/client/src/index.js')
type FastifyPackage = typeof import('../../packages/fastify/src/index.js')
type ExpressPackage = typeof import('../../packages/express/src/index.js')
/** What the test uses of Express (the repository does not depend on it or its types). */
interface ExpressApp {
  use: (handler: unknown) => void
  get: (path: string, ...handlers: unknown[]) => void
  listen: (port: number, host: string) => Server
}
interface Installed {
  client: ClientModule
  fastifyPackage: FastifyPackage
  expressPackage: ExpressPackage
  Fastify: (options?: FastifyServerOptions) => FastifyInstance
  express: () => ExpressApp
}

type PolicyBody = NonNullable<paths['/v1/tenants/{tenant}/policy']['put']['requestBody']>['content']['application/json']
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
// Four builds, an install and two backends: more than the 120 s of .taprc on a loaded machine.
t.setTimeout(300_000)
/** Express is not a dependency of the repository: the version the test installs. */
const EXPRESS_VERSION = '5.3.0'

interface Run { code: number | null, stdout: string, stderr: string }

/**
 * A child process with the environment of a user's shell. tap's process tracking puts its
 * loader in the `NODE_OPTIONS` of every child it sees spawned, and that loader's require
 * hook breaks tools that load ES modules through `require` (TypeScript 7's `tsc`): `env -u`
 * takes it out again.
 */
async function run (command: string, args: readonly string[], cwd: string): Promise<Run> {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', command, ...args], {
    cwd,
    env: { ...process.env, GATEHOUSE_DEBUG: '', ...NO_CHILD_COVERAGE },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const [code] = await once(child, 'close') as [number | null]
  return { code, stdout, stderr }
}

async function must (command: string, args: readonly string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(result.code)}:\n${result.stderr}\n${result.stdout}`)
  return result
}

const work = await mkdtemp(join(tmpdir(), 'gatehouse-packages-'))
t.teardown(async () => { await rm(work, { recursive: true, force: true }) })
const tarballFolder = join(work, 'tarballs')
const project = join(work, 'project')
await mkdir(tarballFolder)
await mkdir(project)

const workspaces = await readdir(join(repoRoot, 'packages'))
const manifests = await Promise.all(workspaces.map(async name => JSON.parse(await readFile(join(repoRoot, 'packages', name, 'package.json'), 'utf8')) as { name: string, version: string, dependencies?: Record<string, string> }))
const rootManifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>, devDependencies: Record<string, string> }

/** Packs every workspace and installs the tarballs in the empty project; resolves to the tarballs' names. */
async function packAndInstall (): Promise<string[]> {
  // Packed side by side: each `prepack` is a TypeScript build of its own.
  await Promise.all(manifests.map(async m => await must('npm', ['pack', '--workspace', m.name, '--pack-destination', tarballFolder, '--silent'], repoRoot)))
  const tarballs = (await readdir(tarballFolder)).filter(f => f.endsWith('.tgz')).sort()
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'a-backend', private: true, type: 'module' }))
  await must('npm', [
    'install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error',
    ...tarballs.map(f => join(tarballFolder, f)),
    `fastify@${rootManifest.dependencies.fastify ?? 'latest'}`, `express@${EXPRESS_VERSION}`,
    `@types/node@${rootManifest.devDependencies['@types/node'] ?? 'latest'}`
  ], project)
  await writeFile(join(project, 'load.mjs'), [
    "export * as client from '@gatehouse-pdp/client'",
    "export * as fastifyPackage from '@gatehouse-pdp/fastify'",
    "export * as expressPackage from '@gatehouse-pdp/express'",
    "export { default as Fastify } from 'fastify'",
    "export { default as express } from 'express'"
  ].join('\n'))
  return tarballs
}

// A failure here ends the process before tap's teardown runs: clean up first.
const tarballs = await packAndInstall().catch(async (err: unknown) => { await rm(work, { recursive: true, force: true }); throw err })
const installed = await import(pathToFileURL(join(project, 'load.mjs')).href) as Installed

t.test('every package is packed, with its own README, and installs from its tarball', async t => {
  t.equal(tarballs.length, manifests.length, `one tarball per workspace: ${tarballs.join(', ')}`)
  for (const m of manifests) {
    const folder = join(project, 'node_modules', ...m.name.split('/'))
    const shipped = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as { version: string }
    t.equal(shipped.version, m.version, `${m.name} installed`)
    t.ok((await readFile(join(folder, 'README.md'), 'utf8')).includes(m.name), `${m.name} ships its README`)
  }
})

t.test('a TypeScript backend compiles against the shipped declarations, admin paths and bodies checked', async t => {
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
    files: ['backend.ts']
  }))
  await writeFile(join(project, 'backend.ts'), `
import { GatehouseClient, GatehouseError, planToSql } from '@gatehouse-pdp/client'
import type { Decision, QueryPlan } from '@gatehouse-pdp/client'
import { authorize, gatehouse } from '@gatehouse-pdp/fastify'
import * as express from '@gatehouse-pdp/express'
import Fastify from 'fastify'

const client = new GatehouseClient({ url: 'http://gatehouse:8080', key: 'k', tenant: 'acme' })
const decision: Decision = await client.check({ subject: 'marie', action: 'view', resource: { type: 'jobs', id: 'job-1' } })
const visible: string[] | undefined = decision.fields?.visible
const key = await client.admin.post('/v1/tenants/{tenant}/keys', { body: { scopes: ['check'] } })
const secret: string = key.secret
await client.admin.put('/v1/tenants/{tenant}/subjects/{id}', { params: { id: 'marie' }, body: { roles: ['employee'] } })
// @ts-expect-error a path the API does not have
await client.admin.get('/v1/tenants/{tenant}/nothing')
// @ts-expect-error the subject id is missing
await client.admin.get('/v1/tenants/{tenant}/subjects/{id}')
// @ts-expect-error a body field the API does not have
await client.admin.put('/v1/tenants/{tenant}/subjects/{id}', { params: { id: 'marie' }, body: { rolez: [] } })
const plan: QueryPlan = await client.listAllowed({ subject: 'marie', action: 'view', resourceType: 'jobs' }).plan()
const { where, params } = planToSql(plan, { id: 'jobs.id' })
const app = Fastify()
await app.register(gatehouse, { client })
app.get('/jobs/:id', { preHandler: authorize<{ Params: { id: string } }>('jobs', 'view', req => ({ subject: 'marie', id: req.params.id })) },
  async req => req.gatehouse?.fields?.visible ?? [])
const middleware = express.authorize('jobs', 'view', (req: { params: { id: string } }) => ({ subject: 'marie', id: req.params.id }))
export { GatehouseError, middleware, params, secret, visible, where }
`)
  const compiled = await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript7', 'bin', 'tsc'), '-p', 'tsconfig.json'], project)
  t.equal(compiled.code, 0, 'no type error', { stdout: compiled.stdout })
})

/** The bare module names the package's JavaScript imports (`node:` builtins left out). */
async function bareImports (folder: string): Promise<Set<string>> {
  const names = new Set<string>()
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8')
    // Statements only (`import … from`, `export … from`, `import '…'`, `import('…')`): the
    // words `import` and `from` also occur in the packages' messages.
    const statements = [/^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]
    for (const pattern of statements) {
      for (const match of text.matchAll(pattern)) {
        const name = match[1] as string
        if (!name.startsWith('.') && !name.startsWith('node:')) names.add(name)
      }
    }
  }
  return names
}

t.test('the client imports nothing but Node, and the CLI nothing but yaml, cel-js and typebox: no Fastify, no PGlite, no driver', async t => {
  const modules = join(project, 'node_modules', '@gatehouse-pdp')
  t.same([...await bareImports(join(modules, 'client'))], [], 'the client')
  t.same([...await bareImports(join(modules, 'cli'))].sort(), ['@marcbachmann/cel-js', 'typebox', 'yaml'], 'the CLI')
  t.same([...await bareImports(join(modules, 'fastify'))].sort(), ['@gatehouse-pdp/client', 'fastify-plugin'], 'the Fastify plugin')
  t.same([...await bareImports(join(modules, 'express'))], ['@gatehouse-pdp/client'], 'the Express middleware')
  const cli = manifests.find(m => m.name === '@gatehouse-pdp/cli')
  t.same(Object.keys(cli?.dependencies ?? {}).sort(), ['@marcbachmann/cel-js', 'typebox', 'yaml'], 'the same three as its dependencies, and the root package pins the same versions')
  const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  for (const [name, version] of Object.entries(cli?.dependencies ?? {})) t.equal(version, root.dependencies[name], `${name}: the version the service runs`)
})

t.test('the CLI from its package: --version, a template and its suite, a failing case, a diff', async t => {
  const cli = manifests.find(m => m.name === '@gatehouse-pdp/cli')
  const version = await run('npx', ['--offline', '@gatehouse-pdp/cli', '--version'], project)
  t.same({ code: version.code, stdout: version.stdout }, { code: 0, stdout: `${cli?.version ?? '?'}\n` }, '`npx @gatehouse-pdp/cli --version`')

  const gatehouse = join(project, 'node_modules', '.bin', 'gatehouse')
  const list = await run(gatehouse, ['template'], project)
  t.equal(list.code, 0)
  t.match(list.stdout, /field-crew/, 'the shipped templates are listed')

  const template = await run(gatehouse, ['template', 'field-crew'], project)
  t.equal(template.code, 0)
  await mkdir(join(project, 'policy'))
  await writeFile(join(project, 'policy', 'bundle.yaml'), template.stdout)
  await copyFile(join(repoRoot, 'src', 'templates', 'field-crew', 'suite.yaml'), join(project, 'policy', 'suite.yaml'))
  const suite = await run(gatehouse, ['test', 'policy/suite.yaml'], project)
  t.equal(suite.code, 0, 'the template passes its own suite', { stderr: suite.stderr })
  t.match(suite.stdout, /cases: \d+ passed, 0 failed/)

  await writeFile(join(project, 'policy', 'wrong.suite.yaml'), [
    'bundle: example.json',
    'subjects: { marie: { roles: [employee] } }',
    'resources: [{ type: jobs, id: job-1, properties: { assignee: marie } }]',
    'cases: [{ subject: marie, resource: jobs/job-1, allow: [edit] }]'
  ].join('\n'))
  await writeFile(join(project, 'policy', 'example.json'), JSON.stringify(exampleBundle))
  const failing = await run(gatehouse, ['test', 'policy/wrong.suite.yaml', '--reporter', 'json'], project)
  t.equal(failing.code, 1, 'a failing case exits 1')
  t.match(failing.stdout, /level_insufficient/, 'naming why')

  const promoted = structuredClone(exampleBundle)
  promoted.roles.employee.modules.jobs.level = 'management'
  await writeFile(join(project, 'policy', 'promoted.json'), JSON.stringify(promoted))
  const diff = await run(gatehouse, ['diff', 'policy/example.json', 'policy/promoted.json', '--format', 'json'], project)
  t.equal(diff.code, 1, 'a diff that finds differences exits 1', { stderr: diff.stderr })
  t.match(diff.stdout, /"edit"/, 'employees gain `edit`')
})

/** A server that answers `replies` in turn (the last one from then on), counting requests; `hang` never answers. */
async function scriptedServer (t: Test, replies: Array<{ status: number, body: unknown } | 'hang'>): Promise<{ url: string, requests: () => number }> {
  let requests = 0
  const server = createServer((req, res) => {
    const reply = replies[Math.min(requests, replies.length - 1)]
    requests++
    req.resume()
    if (reply === 'hang' || reply === undefined) return
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests }
}

t.test('the client retries network errors, timeouts and 503 with backoff, never a 4xx, and fails closed', async t => {
  const { GatehouseClient, GatehouseError } = installed.client
  const question = { subject: 'marie', action: 'view', resource: { type: 'jobs', id: 'job-1' } }
  const allowed = { decision: true, context: { reason: { code: 'role_grant', message: 'granted' }, revision: 7 } }

  const recovering = await scriptedServer(t, [{ status: 503, body: { code: 'unavailable', message: 'not ready' } }, { status: 503, body: {} }, { status: 200, body: allowed }])
  const after503 = await new GatehouseClient({ url: recovering.url, key: 'k', retries: 2, backoffMs: 1 }).check(question)
  t.same({ allowed: after503.allowed, revision: after503.revision, requests: recovering.requests() }, { allowed: true, revision: 7, requests: 3 }, 'two 503s, then the answer')

  const refusing = await scriptedServer(t, [{ status: 404, body: { code: 'no_policy', message: 'tenant `x` has no policy' } }])
  const refused = await new GatehouseClient({ url: refusing.url, key: 'k', retries: 3, backoffMs: 1 }).check(question)
  t.match(refused, { allowed: false, reason: { code: 'gatehouse_refused', message: /404 `no_policy`/ }, error: { status: 404, code: 'no_policy', attempts: 1 } }, 'a 4xx is a deny, not retried')
  t.equal(refusing.requests(), 1)

  const hanging = await scriptedServer(t, ['hang'])
  const started = Date.now()
  const timedOut = await new GatehouseClient({ url: hanging.url, key: 'k', timeoutMs: 100, retries: 1, backoffMs: 1 }).check(question)
  t.match(timedOut, { allowed: false, reason: { code: 'gatehouse_unavailable', message: /no answer within 100 ms/ }, error: { kind: 'unavailable', attempts: 2 } })
  t.equal(hanging.requests(), 2, 'a timeout is retried')
  t.ok(Date.now() - started < 5000, 'and bounded by the timeouts (2 × 100 ms, with room for a loaded machine)')

  // A port nothing listens on: a server opened, then closed.
  const gone = createServer()
  gone.listen(0, '127.0.0.1')
  await once(gone, 'listening')
  const port = (gone.address() as AddressInfo).port
  gone.close()
  const nobody = new GatehouseClient({ url: `http://127.0.0.1:${port}`, key: 'k', retries: 2, backoffMs: 1 })
  t.match(await nobody.check(question), { allowed: false, reason: { code: 'gatehouse_unavailable' }, error: { attempts: 3 } }, 'a refused connection, retried, then a deny')
  const many = await nobody.checkMany({ subject: 'marie', resource: { type: 'jobs', id: 'job-1' }, evaluations: [{ action: 'view' }, { action: 'edit' }] })
  t.same(many.map(d => [d.allowed, d.reason.code]), [[false, 'gatehouse_unavailable'], [false, 'gatehouse_unavailable']], 'every item of a batch fails closed')
  await t.rejects(nobody.whatCan({ subject: 'marie', resource: { type: 'jobs', id: 'job-1' } }), GatehouseError, 'a search throws rather than answer short')
})

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const { GatehouseClient, planToSql } = installed.client
  const tenant = freshTenantId('pkg')

  // Set up through the client's typed admin calls, as an ops script would.
  const root = new GatehouseClient({ url, key: rootKey, tenant })
  await root.admin.put('/v1/tenants/{tenant}', { body: { name: 'Packages Co' } })
  const adminKey = (await root.admin.post('/v1/tenants/{tenant}/keys', { body: { scopes: ['admin', 'check'] } })).secret
  const checkKey = (await root.admin.post('/v1/tenants/{tenant}/keys', { body: { scopes: ['check'] } })).secret
  const backendClient = new GatehouseClient({ url, key: adminKey, tenant })
  // The fixture's literal types are wider (`level: string`) than the bundle's: the server validates it.
  await backendClient.admin.put('/v1/tenants/{tenant}/policy', { body: exampleBundle as unknown as PolicyBody })
  await backendClient.admin.put('/v1/tenants/{tenant}/subjects/{id}', { params: { id: 'marie' }, body: { roles: ['employee'] } })
  await backendClient.admin.put('/v1/tenants/{tenant}/subjects/{id}', { params: { id: 'paul' }, body: { roles: ['manager'] } })
  const jobs: Record<string, Record<string, unknown>> = {}
  for (let i = 1; i <= 5; i++) {
    jobs[`job-${i}`] = { id: `job-${i}`, client_name: `Client ${i}`, price: 100 * i }
    await backendClient.admin.put('/v1/tenants/{tenant}/resources/{type}/{id}', { params: { type: 'jobs', id: `job-${i}` }, body: { assignee: i <= 3 ? 'marie' : 'paul' } })
  }

  await t.test('the client: check, checkMany, whatCan with fields, listAllowed over pages with its plan, planToSql', async t => {
    const written = backendClient.minRevision
    t.ok(written !== undefined && written > 0, 'the writes recorded their revision')
    const view = await backendClient.check({ subject: 'marie', action: 'view', resource: { type: 'jobs', id: 'job-1' } })
    t.match(view, { allowed: true, reason: { code: 'role_grant' }, fields: { visible: ['client_name'], editable: [] } })
    t.ok((view.revision ?? -1) >= (written ?? Infinity), 'the check read the client\'s own writes')
    const edit = await backendClient.check({ subject: 'marie', action: 'edit', resource: { type: 'jobs', id: 'job-1' } })
    t.match(edit, { allowed: false, reason: { code: 'level_insufficient' } })
    t.equal(edit.error, undefined, 'a policy deny is not a client failure')

    const many = await backendClient.checkMany({ subject: 'marie', resource: { type: 'jobs', id: 'job-1' }, evaluations: [{ action: 'view' }, { action: 'edit' }, { action: 'punch' }] })
    t.same(many.map(d => [d.allowed, d.reason.code]), [[true, 'role_grant'], [false, 'level_insufficient'], [true, 'role_grant']])

    const actions = await backendClient.whatCan({ subject: 'paul', resource: { type: 'jobs', id: 'job-1' } })
    t.same(actions.map(a => a.name).sort(), ['create', 'edit', 'note', 'punch', 'view'])
    t.same(actions.find(a => a.name === 'view')?.fields?.visible.sort(), ['client_name', 'price'], 'with the fields each action shows')

    const allowed = backendClient.listAllowed({ subject: 'marie', action: 'view', resourceType: 'jobs', pageSize: 2 })
    const ids: string[] = []
    for await (const resource of allowed) ids.push(resource.id)
    t.same(ids.sort(), ['job-1', 'job-2', 'job-3'], 'every page')
    const plan = await allowed.plan()
    t.equal(plan.kind, 'conditional')
    const sql = planToSql(plan, { id: 'j.id', relations: { assignee: { column: 'j.assignee_id' }, responsible: { column: 'j.responsible_id' } } }, { startIndex: 2 })
    t.equal(sql.where, '("j"."assignee_id" = ANY($2) OR "j"."responsible_id" = ANY($3))')
    t.same(sql.params, [['marie'], ['marie']])
  })

  await t.test('read-your-writes: the next check carries context.min_revision by itself', async t => {
    const client = new GatehouseClient({ url, key: adminKey, tenant })
    await client.admin.put('/v1/tenants/{tenant}/subjects/{id}', { params: { id: 'nina' }, body: { roles: ['manager'] } })
    const fresh = await client.check({ subject: 'nina', action: 'edit', resource: { type: 'jobs', id: 'job-1' } })
    t.match(fresh, { allowed: true, revision: client.minRevision })
    // A revision the tenant has not reached: the server refuses it, which shows it was sent.
    client.observeRevision((client.minRevision ?? 0) + 1000)
    const ahead = await client.check({ subject: 'nina', action: 'edit', resource: { type: 'jobs', id: 'job-1' } })
    t.match(ahead, { allowed: false, reason: { code: 'gatehouse_refused' }, error: { status: 400, details: [{ path: '/context/min_revision', code: 'revision_ahead' }] } })
  })

  await t.test('the Fastify plugin: a preHandler, 403 with the reason, the fields for masking, fail closed', async t => {
    const { Fastify, fastifyPackage } = installed
    const api = Fastify()
    t.teardown(() => api.close())
    await api.register(fastifyPackage.gatehouse, { url, key: checkKey, tenant })
    api.get<{ Params: { id: string } }>('/jobs/:id', {
      preHandler: fastifyPackage.authorize('jobs', 'view', req => ({ subject: String(req.headers['x-user']), id: (req.params as { id: string }).id }))
    }, async req => fastifyPackage.mask(jobs[req.params.id] ?? {}, req.gatehouse?.fields?.visible))
    const marie = await api.inject({ url: '/jobs/job-1', headers: { 'x-user': 'marie' } })
    t.equal(marie.statusCode, 200)
    t.same(marie.json(), { id: 'job-1', client_name: 'Client 1' }, 'the price is masked for an employee')
    const paul = await api.inject({ url: '/jobs/job-1', headers: { 'x-user': 'paul' } })
    t.same(paul.json(), { id: 'job-1', client_name: 'Client 1', price: 100 }, 'a manager sees it')
    const denied = await api.inject({ url: '/jobs/job-4', headers: { 'x-user': 'marie' } })
    t.equal(denied.statusCode, 403)
    t.match(denied.json(), { code: 'access_denied', reason: { code: 'not_in_scope' }, message: /marie/ })

    const cutOff = Fastify()
    t.teardown(() => cutOff.close())
    await cutOff.register(fastifyPackage.gatehouse, { url: 'http://127.0.0.1:9', key: checkKey, tenant, retries: 0 })
    cutOff.get('/jobs/:id', { preHandler: fastifyPackage.authorize('jobs', 'view', req => ({ subject: 'paul', id: (req.params as { id: string }).id })) }, async () => ({ leaked: true }))
    const unavailable = await cutOff.inject({ url: '/jobs/job-1' })
    t.equal(unavailable.statusCode, 403, 'no decision, no access')
    t.match(unavailable.json(), { reason: { code: 'gatehouse_unavailable' } })
  })

  await t.test('the Express middleware: 403 with the reason, the fields for masking', async t => {
    const { express, expressPackage } = installed
    const api = express()
    api.use(expressPackage.gatehouse({ url, key: checkKey, tenant }))
    api.get('/jobs/:id',
      expressPackage.authorize('jobs', 'view', (req: { params: { id: string }, headers: Record<string, string> }) => ({ subject: req.headers['x-user'] ?? '', id: req.params.id })),
      (req: { params: { id: string }, gatehouse: { fields?: { visible: string[] } } }, res: { json: (body: unknown) => void }) => {
        res.json(expressPackage.mask(jobs[req.params.id] ?? {}, req.gatehouse.fields?.visible))
      })
    const server = api.listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.teardown(() => { server.close() })
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const marie = await fetch(`${base}/jobs/job-2`, { headers: { 'x-user': 'marie' } })
    t.equal(marie.status, 200)
    t.same(await marie.json(), { id: 'job-2', client_name: 'Client 2' })
    const denied = await fetch(`${base}/jobs/job-5`, { headers: { 'x-user': 'marie' } })
    t.equal(denied.status, 403)
    t.match(await denied.json(), { code: 'access_denied', reason: { code: 'not_in_scope' } })
  })
})
