/**
 * HTTP test helpers: an app over a store from `test/helpers/db.ts` (one suite, run on
 * every backend), closed in teardown; requests with a key; a tenant set up through the
 * API itself (tenant, keys, policy, subjects), as a client would.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { buildApp } from '../../src/http/app.js'
import type { AppConfig } from '../../src/http/app.js'
import type { Store } from '../../src/store/store.js'
import { backends } from './db.js'
import type { OpenedBackend } from './db.js'

export interface TestApp {
  app: FastifyInstance
  store: Store
  rootKey: string
  config: AppConfig
}

export function testConfig (overrides: Partial<AppConfig> = {}): AppConfig & { rootKey: string } {
  return {
    rootKey: `root-${randomBytes(16).toString('hex')}`,
    logLevel: 'silent',
    publicUrl: 'https://pdp.example.com',
    bodyLimit: 1024 * 1024,
    // Every injected request comes from 127.0.0.1: suites that refuse many keys on purpose
    // would meet the production limit (20); `test/http/auth-failures.test.ts` tests it.
    authFailureLimit: 100_000,
    ...overrides
  } as AppConfig & { rootKey: string }
}

/** An app over `store` (the app never owns it), ready, closed in teardown. */
export async function buildTestApp (t: Test, store: Store, overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const config = testConfig(overrides)
  const app = buildApp({ store, config })
  t.teardown(() => app.close())
  await app.ready()
  return { app, store, rootKey: config.rootKey, config }
}

/**
 * Runs `suite` once per backend (PGlite, then Postgres), one backend at a time; a
 * backend that is unavailable shows as a skip with its reason.
 */
export async function eachBackend (t: Test, suite: (t: Test, backend: OpenedBackend) => Promise<void>): Promise<void> {
  for (const harness of await backends()) {
    await t.test(harness.name, { skip: harness.skip }, async t => {
      const backend = await harness.open()
      t.teardown(() => backend.close())
      await suite(t, backend)
    })
  }
}

/** A fresh tenant id, so that tests never share data. */
export function freshTenantId (prefix = 't'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

export type Body = Record<string, unknown> | unknown[] | string | undefined

/** `app.inject` with `Authorization: Bearer <key>` (when a key is given) and a JSON body. */
export async function call (
  app: FastifyInstance, method: InjectOptions['method'], url: string,
  opts: { key?: string, body?: Body, headers?: Record<string, string> } = {}
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`
  const req: InjectOptions = { method, url, headers }
  if (opts.body !== undefined) {
    if (typeof opts.body === 'string') {
      req.payload = opts.body
    } else {
      req.payload = JSON.stringify(opts.body)
      headers['content-type'] ??= 'application/json'
    }
  }
  return await app.inject(req)
}

export interface TenantSetup {
  tenant: string
  adminKey: string
  checkKey: string
  /** A key with every scope. */
  fullKey: string
}

/** Creates a tenant with admin, check and full keys, then imports `bundle` and puts `subjects`, all through the API. */
export async function setupTenant (
  t: Test, app: FastifyInstance, rootKey: string,
  opts: { tenant?: string, bundle?: unknown, subjects?: Record<string, unknown>, resources?: Record<string, Record<string, unknown>> } = {}
): Promise<TenantSetup> {
  const tenant = opts.tenant ?? freshTenantId()
  const created = await call(app, 'PUT', `/v1/tenants/${tenant}`, { key: rootKey, body: { name: `Tenant ${tenant}` } })
  t.equal(created.statusCode, 201, `tenant ${tenant} created`)
  const mint = async (scopes: string[]): Promise<string> => {
    const res = await call(app, 'POST', `/v1/tenants/${tenant}/keys`, { key: rootKey, body: { scopes } })
    t.equal(res.statusCode, 201, `key with scopes ${scopes.join(', ')} created`)
    return res.json().secret as string
  }
  const setup: TenantSetup = {
    tenant,
    adminKey: await mint(['admin']),
    checkKey: await mint(['check']),
    fullKey: await mint(['check', 'admin', 'audit'])
  }
  if (opts.bundle !== undefined) {
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/policy`, { key: setup.adminKey, body: opts.bundle as Body })
    t.equal(res.statusCode, 200, 'policy imported', { body: res.json() })
  }
  for (const [id, subject] of Object.entries(opts.subjects ?? {})) {
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/subjects/${encodeURIComponent(id)}`, { key: setup.adminKey, body: subject as Body })
    t.equal(res.statusCode, 201, `subject ${id} created`, { body: res.json() })
  }
  for (const [path, properties] of Object.entries(opts.resources ?? {})) {
    const res = await call(app, 'PUT', `/v1/tenants/${tenant}/resources/${path}`, { key: setup.adminKey, body: properties })
    t.equal(res.statusCode, 201, `resource ${path} stored`, { body: res.json() })
  }
  return setup
}

/** The tenant's current revision, read through the API with the root key. */
export async function revisionOf (app: FastifyInstance, rootKey: string, tenant: string): Promise<number> {
  const res = await call(app, 'GET', `/v1/tenants/${tenant}`, { key: rootKey })
  return res.json().revision as number
}
