import t from 'tap'
import { subjectJsonSchema } from '../../src/engine/index.js'
import { MAX_ENTRIES, MAX_TEXT, NAME_BOUNDS, overridesSchema, subjectBodySchema, subjectResponseSchema } from '../../src/http/schemas/subject.js'
import { buildTestApp, call, eachBackend, revisionOf, setupTenant } from '../helpers/build-app.js'
import { exampleBundle, exampleSubjects } from './fixtures.js'

type Node = Record<string, unknown>

/** Every node of `schema` with its place (`/properties/roles/items`). */
function nodesOf (schema: unknown, at = ''): Array<{ at: string, node: Node }> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return []
  const node = schema as Node
  const found = [{ at, node }]
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties') for (const [name, property] of Object.entries(value as Node)) found.push(...nodesOf(property, `${at}/properties/${name}`))
    if (key === 'additionalProperties' || key === 'items') found.push(...nodesOf(value, `${at}/${key}`))
    if (key === 'anyOf') (value as unknown[]).forEach((variant, i) => found.push(...nodesOf(variant, `${at}/anyOf/${i}`)))
  }
  return found
}

t.test('the HTTP subject schemas are the engine\'s document, every node in place, bounded', async t => {
  const document = nodesOf(subjectJsonSchema)
  for (const [name, schema] of [['body', subjectBodySchema], ['response', subjectResponseSchema]] as const) {
    const derived = new Map(nodesOf(schema).map(({ at, node }) => [at, node]))
    t.same([...derived.keys()], document.map(({ at }) => at), `${name}: the same nodes as the document`)
    for (const { at, node } of document) {
      const mine = derived.get(at) as Node
      for (const [keyword, value] of Object.entries(node)) {
        if (['properties', 'additionalProperties', 'items', 'anyOf', 'title', 'required', 'description', 'minLength'].includes(keyword)) continue
        t.same(mine[keyword], value, `${name} ${at}: ${keyword} as the document says`)
      }
      if (node.type === 'array') t.equal(mine.maxItems, MAX_ENTRIES, `${name} ${at}: at most ${MAX_ENTRIES} entries`)
      if (node.type === 'string') t.ok(typeof mine.maxLength === 'number' && (mine.minLength as number | undefined ?? 0) >= (node.minLength as number | undefined ?? 0), `${name} ${at}: bounded, no looser than the document`)
    }
  }
  t.same(subjectResponseSchema.required, ['id', 'roles'])
  t.equal(subjectBodySchema.required, undefined, 'a body may omit id and roles')
  t.same(overridesSchema, (subjectResponseSchema.properties as Node).overrides)
  const when = ((((overridesSchema.properties as Node).modules as Node).additionalProperties as Node).properties as Node).when as Node
  t.match(when, { maxProperties: MAX_ENTRIES, propertyNames: NAME_BOUNDS, additionalProperties: { minLength: 1, maxLength: MAX_TEXT } })
  const attribute = ((subjectResponseSchema.properties as Node).attributes as Node).additionalProperties as { anyOf: Node[] }
  t.match(attribute.anyOf, [{ type: 'string', maxLength: MAX_TEXT }, { type: 'number' }, { type: 'boolean' }, { type: 'array', maxItems: MAX_ENTRIES, items: { maxLength: MAX_TEXT } }])
  t.equal(attribute.anyOf[0]?.minLength, undefined, 'attribute text may be empty')
})

await eachBackend(t, async (t, backend) => {
  const { app, rootKey } = await buildTestApp(t, backend.store)
  const setup = await setupTenant(t, app, rootKey, { bundle: exampleBundle, subjects: exampleSubjects })
  const long = (n: number): string => 'x'.repeat(n)
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['1001 roles', { roles: Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => `r${i}`) }, '/roles'],
    ['an empty role', { roles: [''] }, '/roles/0'],
    ['a 257-character alias', { roles: [], aliases: [long(257)] }, '/aliases/0'],
    ['a 257-character project id', { roles: [], projects: { p: [long(257)] } }, '/projects/p/0'],
    ['a 257-character body id', { id: long(257) }, '/id'],
    ['a condition of 10,001 characters', { overrides: { modules: { jobs: { allow: ['edit'], when: { edit: long(MAX_TEXT + 1) } } } } }, '/overrides/modules/jobs/when/edit'],
    ['an empty condition', { overrides: { modules: { jobs: { when: { edit: '' } } } } }, '/overrides/modules/jobs/when/edit'],
    ['a 257-character action under when', { overrides: { modules: { jobs: { when: { [long(257)]: 'true' } } } } }, '/overrides/modules/jobs/when'],
    ['attribute text of 10,001 characters', { attributes: { department: long(MAX_TEXT + 1) } }, '/attributes/department']
  ]
  for (const [name, body, path] of cases) {
    await t.test(`${name} is a 400 naming ${path}, and writes nothing`, async t => {
      const before = await revisionOf(app, rootKey, setup.tenant)
      const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/eve`, { key: setup.adminKey, body })
      t.equal(res.statusCode, 400, res.body.slice(0, 300))
      const details = (res.json().details ?? []) as Array<{ path: string }>
      t.ok(details.some(d => d.path.startsWith(path)), `names ${path}`, { details })
      t.equal(await revisionOf(app, rootKey, setup.tenant), before)
    })
  }

  await t.test('the same overrides through their own route are bounded alike', async t => {
    const res = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/marie/overrides`, { key: setup.adminKey, body: { modules: { jobs: { allow: [long(257)] } } } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'validation_failed', details: [{ path: '/modules/jobs/allow/0' }] })
  })

  await t.test('a subject within the bounds is written and read back as sent', async t => {
    const body = { roles: ['employee'], aliases: [long(256)] }
    const put = await call(app, 'PUT', `/v1/tenants/${setup.tenant}/subjects/eve`, { key: setup.adminKey, body })
    t.equal(put.statusCode, 201, put.body.slice(0, 300))
    t.same((await call(app, 'GET', `/v1/tenants/${setup.tenant}/subjects/eve`, { key: setup.adminKey })).json(), { id: 'eve', ...body })
  })
})
