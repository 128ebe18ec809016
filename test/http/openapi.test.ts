import { readFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import t from 'tap'
import { ERROR_CATALOGUE, ERROR_CODES } from '../../src/http/errors.js'
import { openapiText } from '../../src/http/openapi.js'
import { REASON_CODES } from '../../src/service/index.js'

const committedPath = new URL('../../openapi/openapi.json', import.meta.url)
const generated = await openapiText()
const committed = await readFile(committedPath, 'utf8').catch(() => '')
const doc = JSON.parse(generated) as {
  openapi: string
  paths: Record<string, Record<string, { operationId?: string, tags?: string[], summary?: string, security?: unknown[], responses: Record<string, { description?: string }> }>>
  components: { securitySchemes: Record<string, unknown> }
}

t.test('the committed openapi/openapi.json is the one generated from the routes (run npm run openapi)', async t => {
  t.equal(committed, generated, 'openapi/openapi.json is stale: run `npm run openapi`')
})

t.test('the document passes an OpenAPI 3.1 validator, and every $ref resolves inside it', async t => {
  const validator = new Validator()
  const result = await validator.validate(JSON.parse(generated) as Record<string, unknown>)
  t.same(result.errors ?? [], [], 'no schema violation')
  t.ok(result.valid, 'valid OpenAPI')
  t.equal(validator.version, '3.1')

  const refs = new Set<string>()
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) { value.forEach(collect); return }
    if (value === null || typeof value !== 'object') return
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') refs.add(inner)
      else collect(inner)
    }
  }
  collect(doc)
  const root = JSON.parse(generated) as Record<string, unknown>
  for (const ref of refs) {
    t.ok(ref.startsWith('#/'), `${ref} is local`)
    const target = ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], root)
    t.ok(target !== undefined, `${ref} resolves`)
  }
})

t.test('the document is openapi 3.1 with a bearer security scheme', async t => {
  t.equal(doc.openapi, '3.1.0')
  t.match(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' })
})

t.test('every code of the error catalogue appears in the document', async t => {
  for (const code of ERROR_CODES) t.ok(generated.includes(`\`${code}\``), `\`${code}\` is documented`)
})

t.test('every decision reason code appears in the document', async t => {
  for (const code of Object.keys(REASON_CODES)) t.ok(generated.includes(`"${code}"`), `reason \`${code}\` is documented`)
})

t.test('every operation has an id, a tag, a summary and its error responses', async t => {
  const ids = new Set<string>()
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const name = `${method.toUpperCase()} ${path}`
      t.type(op.operationId, 'string', `${name} has an operationId`)
      t.notOk(ids.has(op.operationId ?? ''), `${name} has a unique operationId`)
      ids.add(op.operationId ?? '')
      t.ok((op.tags ?? []).length > 0, `${name} has a tag`)
      t.type(op.summary, 'string', `${name} has a summary`)
      t.ok(op.responses['500'], `${name} documents 500`)
      const success = Object.keys(op.responses).filter(s => s.startsWith('2'))
      t.ok(success.length > 0, `${name} documents its success`)
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue
        for (const code of (response.description ?? '').match(/`[a-z_]+`/g) ?? []) {
          const entry = ERROR_CATALOGUE[code.slice(1, -1) as keyof typeof ERROR_CATALOGUE]
          t.equal(entry?.status, Number(status), `${name}: ${code} is documented under its status ${status}`)
        }
      }
      const isPublic = path.startsWith('/.well-known') || path === '/healthz' || path === '/readyz'
      if (isPublic) {
        t.same(op.security, [], `${name} needs no key`)
      } else {
        t.notOk(op.security, `${name} uses the default bearer security`)
        t.ok(op.responses['401'] && op.responses['403'], `${name} documents 401 and 403`)
      }
    }
  }
})

t.test('every JSON request body has an example, and every example fits its schema', async t => {
  const root = JSON.parse(generated) as { paths: Record<string, Record<string, any>>, components: Record<string, unknown> }
  // The document's own schemas, with its components, so that `#/components/...` resolves.
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true })
  const fits = (schema: unknown, example: unknown): string[] => {
    const validate = ajv.compile({ allOf: [schema], components: root.components })
    return validate(example) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message ?? ''}`)
  }
  let examples = 0
  for (const [path, methods] of Object.entries(root.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const name = `${method.toUpperCase()} ${path}`
      const body = op.requestBody?.content?.['application/json']
      if (body !== undefined) t.not(body.example, undefined, `${name} shows an example body`)
      const media = [body, ...Object.entries(op.responses as Record<string, any>).filter(([code]) => code.startsWith('2')).map(([, r]) => r.content?.['application/json'])]
      for (const m of media) {
        if (m?.example === undefined) continue
        examples++
        t.same(fits(m.schema, m.example), [], `${name}: its example fits its schema`)
      }
    }
  }
  t.ok(examples >= 30, `${examples} examples checked`)
})

t.test('operations are grouped by what they act on, every tag is declared, and each declared tag is used', async t => {
  const root = JSON.parse(generated) as { tags: Array<{ name: string }>, paths: Record<string, Record<string, { tags?: string[] }>> }
  const declared = root.tags.map(tag => tag.name)
  t.same(declared, ['decisions', 'search', 'policy', 'subjects', 'resources', 'keys', 'audit', 'templates', 'tenants', 'metadata'])
  const used = new Set(Object.values(root.paths).flatMap(methods => Object.values(methods).flatMap(op => op.tags ?? [])))
  t.same([...used].sort(), [...declared].sort(), 'no operation outside the declared tags, no tag left empty')
  t.same(root.paths['/access/v1/evaluation']?.post?.tags, ['decisions'])
  t.same(root.paths['/access/v1/search/resource']?.post?.tags, ['search'])
  t.same(root.paths['/v1/tenants/{tenant}/policy/diff']?.post?.tags, ['policy'])
})

t.test('a key with or without `Bearer` is declared; X-Request-ID is a parameter and a response header of every operation', async t => {
  const root = JSON.parse(generated) as any
  t.same(root.security, [{ bearerAuth: [] }, { bareKey: [] }], 'either scheme')
  t.match(root.components.securitySchemes.bareKey, { type: 'apiKey', in: 'header', name: 'Authorization' })
  t.match(root.components.parameters.RequestId, { name: 'X-Request-ID', in: 'header', required: false })
  for (const [path, methods] of Object.entries(root.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const name = `${method.toUpperCase()} ${path}`
      t.ok((op.parameters ?? []).some((p: { $ref?: string }) => p.$ref === '#/components/parameters/RequestId'), `${name} takes X-Request-ID`)
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        t.same(response.headers?.['X-Request-ID'], { $ref: '#/components/headers/RequestId' }, `${name} ${status} echoes X-Request-ID`)
      }
    }
  }
})

t.test('a body that may be left out is not required: the policy with ?template=, a tenant without a name', async t => {
  const root = JSON.parse(generated) as any
  t.equal(root.paths['/v1/tenants/{tenant}/policy'].put.requestBody.required, false)
  t.equal(root.paths['/v1/tenants/{tenant}'].put.requestBody.required, false)
  t.equal(root.paths['/access/v1/evaluation'].post.requestBody.required, true, 'others still are')
})

t.test('every error response shows an example per code it documents, with that code, and each fits the error schema', async t => {
  const root = JSON.parse(generated) as any
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true })
  const validate = ajv.compile({ $ref: '#/components/schemas/ErrorResponse', components: root.components })
  let checked = 0
  for (const [path, methods] of Object.entries(root.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        if (Number(status) < 400) continue
        const name = `${method.toUpperCase()} ${path} ${status}`
        const codes = [...(response.description as string).matchAll(/`([a-z_]+)`:/g)].map(m => m[1])
        const examples = response.content['application/json'].examples as Record<string, { $ref: string }>
        t.same(Object.keys(examples).sort(), codes.sort(), `${name}: one example per documented code`)
        for (const [code, ref] of Object.entries(examples)) {
          const value = root.components.examples[ref.$ref.replace('#/components/examples/', '')]?.value
          t.equal(value?.code, code, `${name}: the \`${code}\` example shows \`${code}\``)
          t.equal(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status, Number(status))
          t.ok(validate(value), `${name}: the \`${code}\` example fits ErrorResponse`)
          checked++
        }
      }
    }
  }
  const evaluation = root.paths['/access/v1/evaluation'].post.responses
  t.same(Object.keys(evaluation['401'].content['application/json'].examples), ['unauthorized'], '401 shows `unauthorized`, not `validation_failed`')
  t.same(Object.keys(evaluation['403'].content['application/json'].examples), ['forbidden'])
  t.ok(checked > 200, `${checked} error examples checked`)
})
