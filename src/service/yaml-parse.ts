/**
 * YAML texts sent in request bodies, parsed off the event loop. Parsing is linear and
 * bounded (`YAML_LIMITS`), but the yaml library still costs about a microsecond per byte,
 * and every tenant's decisions wait on this one thread: a large text is parsed on a
 * worker thread, and only its result (the value and where each part was written) comes
 * back. Small texts, such as most bundles and the shipped templates, are parsed in
 * place, where a round trip would cost more than the parse.
 */
import type { Worker } from 'node:worker_threads'
import { yamlFailure } from './bundle-text.js'
import { startWorker, workerEntry } from './worker-file.js'
import { attachParse, parseDetached } from './policy-tests/source.js'
import type { DetachedParse, ParseResult } from './policy-tests/source.js'

/** Texts up to this many characters are parsed in place (a few milliseconds at most). */
export const INLINE_PARSE_CHARS = 8 * 1024

export interface ParseRequest { id: number, text: string }
export type ParseReply = { id: number, parsed: DetachedParse } | { id: number, json: string } | { id: number, error: string }

interface Pending { resolve: (parsed: DetachedParse) => void, reject: (err: Error) => void }
interface Thread { worker: Worker, pending: Map<number, Pending>, answered: boolean }

let current: Thread | undefined
let nextId = 0

/** `parseSource`, on the worker thread when the text is large. */
export async function parseSourceOffLoop (text: string): Promise<ParseResult> {
  if (text.length <= INLINE_PARSE_CHARS) return attachParse(parseDetached(text))
  return attachParse(await parseOnWorker(text))
}

/** `parseYamlText`, on the worker thread when the text is large. Throws ServiceError `invalid_yaml`. */
export async function parseYamlOffLoop (text: string): Promise<unknown> {
  const parsed = await parseSourceOffLoop(text)
  if (!parsed.ok) throw yamlFailure(parsed.problems)
  return parsed.source.value
}

/**
 * Set when the worker cannot be started (a TypeScript loader that does not reach worker
 * threads, such as tsx under `npm run dev`): texts are then parsed in place, as correct
 * but on the event loop, and a warning says so once.
 */
let unavailable = false

async function parseOnWorker (text: string): Promise<DetachedParse> {
  if (unavailable) return parseDetached(text)
  const id = nextId++
  const thread = parserThread()
  try {
    return await new Promise((resolve, reject) => {
      // Referenced while it has work: a parse keeps the process alive, an idle worker does not.
      if (thread.pending.size === 0) thread.worker.ref()
      thread.pending.set(id, { resolve, reject })
      thread.worker.postMessage({ id, text } satisfies ParseRequest)
    })
  } catch (err) {
    if (thread.answered) throw err
    unavailable = true
    process.emitWarning(`the yaml worker thread cannot start, large yaml texts are parsed on the event loop: ${(err as Error).message}`)
    return parseDetached(text)
  }
}

/**
 * The worker, started on first use. It keeps the process alive only while it has work;
 * one that fails fails the parses it was doing and is replaced on the next one.
 */
function parserThread (): Thread {
  if (current !== undefined) return current
  const worker = startWorker(workerEntry(import.meta.url, 'yaml-worker'))
  const thread: Thread = { worker, pending: new Map(), answered: false }
  worker.on('message', (reply: ParseReply) => {
    thread.answered = true
    const waiting = thread.pending.get(reply.id)
    if (waiting === undefined) return
    thread.pending.delete(reply.id)
    if (thread.pending.size === 0) worker.unref()
    if ('error' in reply) waiting.reject(new Error(`yaml worker: ${reply.error}`))
    else waiting.resolve('json' in reply ? JSON.parse(reply.json) as DetachedParse : reply.parsed)
  })
  const fail = (err: Error): void => {
    if (current === thread) current = undefined
    for (const waiting of thread.pending.values()) waiting.reject(err)
    thread.pending.clear()
  }
  worker.on('error', fail)
  worker.on('exit', code => { fail(new Error(`the yaml worker exited with code ${code}`)) })
  // After the listeners, since adding one refs the worker again; `parseOnWorker` refs it while it has work.
  worker.unref()
  current = thread
  return thread
}
