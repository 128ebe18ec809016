/**
 * The OpenAPI document as committed in `openapi/openapi.json`: generated from the route
 * schemas of an app built without a store (nothing listens, nothing is queried), with
 * object keys sorted so that the file only changes when the API does.
 */
import { buildApp } from './app.js'

/** The document as stable text: keys sorted, 2-space indent, final newline. */
export async function openapiText (): Promise<string> {
  const app = buildApp({ config: { rootKey: undefined, logLevel: 'silent', publicUrl: 'http://localhost:8080', bodyLimit: 1024 * 1024 } })
  try {
    await app.ready()
    return `${JSON.stringify(sortKeys(app.swagger() as unknown), null, 2)}\n`
  } finally {
    await app.close()
  }
}

function sortKeys (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
  return sorted
}
