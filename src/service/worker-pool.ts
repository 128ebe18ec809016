/**
 * A small pool of worker threads for work that would otherwise hold the event loop on
 * which every tenant's decisions wait. Each thread runs one job at a time (the work is
 * CPU-bound); jobs beyond the threads queue, up to `maxQueue`.
 *
 * Never wrong quietly, never a hang: a thread that crashes or exits fails the job it was
 * running, one that overruns `timeoutMs` is terminated and fails it; either way the
 * failure is counted (`failures`), reported (`onFailure`) and the job's caller gets a
 * `WorkerFailedError`, and a new thread replaces the lost one on the next job. A full
 * queue refuses the job the same way (`busy`).
 *
 * A thread that dies before it is ready means worker threads cannot start here (a
 * TypeScript loader that does not reach them, as under `tsx watch`): jobs then run in
 * place through `inline`, as correct but on the event loop, and a warning says so once.
 */
import { parentPort } from 'node:worker_threads'
import type { Worker } from 'node:worker_threads'
import { startWorker } from './worker-file.js'
import type { WorkerEntry } from './worker-file.js'

/** Why a job failed without an answer: its thread crashed or exited, overran its time, or the queue was full. */
export type WorkerFailureKind = 'crash' | 'timeout' | 'busy'

export const WORKER_FAILURE_KINDS: readonly WorkerFailureKind[] = ['crash', 'timeout', 'busy']

/** A job got no answer from the pool (see `WorkerFailureKind`); retrying later may succeed. */
export class WorkerFailedError extends Error {
  readonly kind: WorkerFailureKind

  constructor (kind: WorkerFailureKind, message: string, opts?: { cause?: unknown }) {
    super(message, opts)
    this.name = 'WorkerFailedError'
    this.kind = kind
  }
}

/** What a thread posts: that it is ready, or a job's answer (`error`: the job threw, a bug). */
export type WorkerMessage<R> = { ready: true } | { id: number, result: R } | { id: number, error: string }

export interface WorkerPoolOptions<J, R> {
  /** The thread's entry file, which calls `serveJobs`, and its Node options. */
  entry: WorkerEntry
  /** Threads at most; each is started on demand. */
  size: number
  /** How long one job may run on its thread (from being sent to it, or from the thread being ready) before the thread is terminated. */
  timeoutMs: number
  /** How long a new thread may take to load before it counts as hung (default 60 s: a TypeScript loader compiles every module first). */
  startupMs?: number
  /** Jobs waiting for a thread at most; more are refused (`busy`). */
  maxQueue: number
  /** The job run in place, when threads cannot start here. */
  inline: (job: J) => R
  /** Called on each failure, after it is counted. */
  onFailure?: (kind: WorkerFailureKind, err: Error) => void
}

interface Task<J, R> {
  id: number
  job: J
  resolve: (result: R) => void
  reject: (err: Error) => void
  timer?: NodeJS.Timeout
}

interface Thread<J, R> {
  worker: Worker
  task: Task<J, R> | undefined
  ready: boolean
  /** Until the thread is ready: what fails it if it never is. */
  startup?: NodeJS.Timeout
}

export class WorkerPool<J, R> {
  readonly #opts: WorkerPoolOptions<J, R>
  readonly #threads: Array<Thread<J, R>> = []
  #queue: Array<Task<J, R>> = []
  #nextId = 0
  #unavailable = false
  #closed = false
  /** Failures since start, by kind. */
  readonly failures: Record<WorkerFailureKind, number> = { crash: 0, timeout: 0, busy: 0 }

  constructor (opts: WorkerPoolOptions<J, R>) {
    this.#opts = opts
  }

  /**
   * Runs `job` on a thread; its result arrives as a structured clone. Rejects with
   * WorkerFailedError when no thread answered, with Error when the job threw there.
   */
  async run (job: J): Promise<R> {
    if (this.#unavailable || this.#closed) return this.#opts.inline(job)
    if (this.#queue.length >= this.#opts.maxQueue) {
      throw this.#failed('busy', new Error(`${this.#queue.length} jobs are waiting for a worker thread`))
    }
    return await new Promise<R>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, reject })
      this.#dispatch()
    })
  }

  /** Terminates every thread; later jobs run in place. */
  async close (): Promise<void> {
    this.#closed = true
    const threads = this.#threads.splice(0)
    const queued = this.#queue.splice(0)
    for (const task of queued) this.#settleInline(task)
    for (const thread of threads) if (thread.task !== undefined) this.#settleInline(thread.task)
    await Promise.all(threads.map(async thread => await thread.worker.terminate()))
  }

  #dispatch (): void {
    while (this.#queue.length > 0) {
      let thread = this.#threads.find(t => t.task === undefined)
      if (thread === undefined && this.#threads.length < this.#opts.size) thread = this.#start()
      if (thread === undefined) return
      const task = this.#queue.shift() as Task<J, R>
      const running = thread
      running.task = task
      // Referenced while it has work: a job keeps the process alive, an idle thread does not.
      running.worker.ref()
      // A new thread's loading is not the job's time: its clock starts when the thread is ready.
      if (running.ready) this.#arm(running, task)
      running.worker.postMessage({ id: task.id, job: task.job })
    }
  }

  #start (): Thread<J, R> {
    const worker = startWorker(this.#opts.entry)
    const thread: Thread<J, R> = { worker, task: undefined, ready: false }
    worker.on('message', (message: WorkerMessage<R>) => {
      if ('ready' in message) {
        thread.ready = true
        clearTimeout(thread.startup)
        if (thread.task !== undefined) this.#arm(thread, thread.task)
        return
      }
      const task = thread.task
      if (task === undefined || task.id !== message.id) return
      thread.task = undefined
      clearTimeout(task.timer)
      worker.unref()
      if ('error' in message) task.reject(new Error(`worker thread: ${message.error}`))
      else task.resolve(message.result)
      this.#dispatch()
    })
    worker.on('error', err => { this.#lose(thread, 'crash', err) })
    worker.on('exit', code => { this.#lose(thread, 'crash', new Error(`the worker thread exited with code ${code}`)) })
    const startupMs = this.#opts.startupMs ?? 60_000
    thread.startup = setTimeout(() => { this.#lose(thread, 'timeout', new Error(`the worker thread did not start within ${startupMs} ms`)) }, startupMs)
    thread.startup.unref()
    // After the listeners, since adding one refs the worker again; `#dispatch` refs it while it has work.
    worker.unref()
    this.#threads.push(thread)
    return thread
  }

  #arm (thread: Thread<J, R>, task: Task<J, R>): void {
    task.timer = setTimeout(() => {
      this.#lose(thread, 'timeout', new Error(`a job ran for more than ${this.#opts.timeoutMs} ms`))
    }, this.#opts.timeoutMs)
  }

  /** Drops a thread that crashed, exited or overran, failing its job; the first of its events counts. */
  #lose (thread: Thread<J, R>, kind: 'crash' | 'timeout', err: Error): void {
    const at = this.#threads.indexOf(thread)
    if (at < 0) return
    this.#threads.splice(at, 1)
    thread.worker.terminate().catch(() => {
      // Already gone: terminating a thread that died is nothing to report (its death was).
    })
    clearTimeout(thread.startup)
    const task = thread.task
    if (task !== undefined) clearTimeout(task.timer)
    if (!thread.ready && kind === 'crash') {
      // It never started: nothing will. Everything runs in place from now on.
      this.#unavailable = true
      process.emitWarning(`worker threads cannot start, policy work runs on the event loop: ${err.message}`)
      if (task !== undefined) this.#settleInline(task)
      for (const queued of this.#queue.splice(0)) this.#settleInline(queued)
      return
    }
    const failure = this.#failed(kind, err)
    task?.reject(failure)
    this.#dispatch()
  }

  #failed (kind: WorkerFailureKind, err: Error): WorkerFailedError {
    this.failures[kind]++
    this.#opts.onFailure?.(kind, err)
    return new WorkerFailedError(kind, `worker thread ${kind}: ${err.message}`, { cause: err })
  }

  #settleInline (task: Task<J, R>): void {
    try {
      task.resolve(this.#opts.inline(task.job))
    } catch (err) {
      task.reject(err as Error)
    }
  }
}

/**
 * The thread side: answers each job posted with `handle(job)`, in order, and says it is
 * ready once loaded. An error `handle` throws is answered as `error` (a bug: jobs return
 * their failures as values).
 */
export function serveJobs<J, R> (handle: (job: J) => R): void {
  const port = parentPort
  if (port === null) throw new Error('serveJobs runs on a worker thread')
  port.on('message', ({ id, job }: { id: number, job: J }) => {
    let message: WorkerMessage<R>
    try {
      message = { id, result: handle(job) }
    } catch (err) {
      message = { id, error: err instanceof Error ? err.message : String(err) }
    }
    port.postMessage(message)
  })
  port.postMessage({ ready: true } satisfies WorkerMessage<R>)
}
