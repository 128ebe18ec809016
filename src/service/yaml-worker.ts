/**
 * The worker thread of `yaml-parse.ts`: parses the texts it is sent with `parseDetached`
 * and answers each with its id, as JSON text when JSON keeps the value.
 */
import { parentPort } from 'node:worker_threads'
import { parseDetached } from './policy-tests/source.js'
import { jsonSafe } from './json-text.js'
import type { ParseReply, ParseRequest } from './yaml-parse.js'

const port = parentPort
if (port === null) throw new Error('yaml-worker.ts runs as a worker thread')
port.on('message', ({ id, text }: ParseRequest) => {
  let reply: ParseReply
  try {
    const parsed = parseDetached(text)
    // JSON.parse on the loop costs a fraction of what a structured clone does.
    reply = parsed.ok && jsonSafe(parsed.value) ? { id, json: JSON.stringify(parsed) } : { id, parsed }
  } catch (err) {
    reply = { id, error: err instanceof Error ? err.message : String(err) }
  }
  port.postMessage(reply)
})
