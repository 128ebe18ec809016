/** `npm run openapi`: writes `openapi/openapi.json` from the route schemas, then the client types from it. */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openapiText } from '../src/http/openapi.js'
import { CLIENT_TYPES_URL, clientTypesText } from './client-types.js'

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'openapi', 'openapi.json')
await mkdir(dirname(target), { recursive: true })
const text = await openapiText()
await writeFile(target, text)
console.log(`wrote ${target}`)
await writeFile(CLIENT_TYPES_URL, await clientTypesText(text))
console.log(`wrote ${fileURLToPath(CLIENT_TYPES_URL)}`)
