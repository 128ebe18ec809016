/**
 * What the AuthZEN scenario tests share: a scenario's fixture (a gatehouse bundle, its
 * users and resources as stored data, in `test/http/authzen/<name>.yaml`), a server
 * seeded with it and listening on a real socket, and a JSON POST to it.
 */
import { readFileSync } from 'node:fs'
import type { Test } from 'tap'
import { parse as parseYaml } from 'yaml'
import { buildTestApp, setupTenant } from '../../helpers/build-app.js'

export interface Fixture {
  bundle: unknown
  subjects: Record<string, Record<string, unknown>>
  resources: Array<{ type: string, id: string, properties: Record<string, unknown> }>
}

export function loadFixture (name: string): Fixture {
  return parseYaml(readFileSync(new URL(name, import.meta.url), 'utf8')) as Fixture
}

export async function post (base: string, path: string, key: string, body: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  return { status: res.status, json: await res.json() }
}

/** A server holding fixture `fixtureName` in a tenant of its own (subjects without `roles` hold none), listening on 127.0.0.1. */
export async function scenario (t: Test, store: Parameters<typeof buildTestApp>[1], fixtureName: string): Promise<{ base: string, checkKey: string }> {
  const { app, rootKey } = await buildTestApp(t, store)
  const fixture = loadFixture(fixtureName)
  const resources: Record<string, Record<string, unknown>> = {}
  for (const r of fixture.resources) resources[`${r.type}/${encodeURIComponent(r.id)}`] = r.properties
  const subjects: Record<string, Record<string, unknown>> = {}
  for (const [id, s] of Object.entries(fixture.subjects)) subjects[id] = { roles: [], ...s }
  const { checkKey } = await setupTenant(t, app, rootKey, { bundle: fixture.bundle, subjects, resources })
  return { base: await app.listen({ port: 0, host: '127.0.0.1' }), checkKey }
}
