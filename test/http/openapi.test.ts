import { readFile } from 'node:fs/promises'
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
