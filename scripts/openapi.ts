/** `npm run openapi`: writes `openapi/openapi.json` from the route schemas. */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openapiText } from '../src/http/openapi.js'

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json')
await mkdir(dirname(target), { recursive: true })
await writeFile(target, await openapiText())
console.log(`wrote ${target}`)
