/**
 * Policy work off the event loop. Checking a bundle (its CEL conditions above all, some
 * 50 µs each), diffing two policies and running a test suite cost milliseconds to
 * seconds of CPU, and every tenant's decisions wait while the loop is held: a bundle
 * past a small size (`inlineBundle`) is checked and compiled on a worker thread
 * (`policy-worker.ts`), and diffs and suites run there.
 *
 * A bundle compiled there comes back as `transferPolicy`'s form (the normalized bundle
 * and its compiled conditions, as one JSON text per module and role), which this thread
 * rebuilds without checking anything or compiling a condition again, one module or role
 * at a time (reading its text then), letting other work run between slices (`stepped`):
 * a bundle at `BUNDLE_LIMITS` costs the loop a few milliseconds in all, in slices of at
 * most `SLICE_MS`.
 *
 * A job the pool cannot answer (a thread crashed, overran `timeoutMs`, or too many jobs
 * wait) is a ServiceError `unavailable` (503, `Retry-After`), logged and counted
 * (`failures`); nothing was written.
 */
import { availableParallelism } from 'node:os'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { CompiledPolicy, Issue, Subject } from '../engine/index.js'
import { compileBundle } from '../engine/index.js'
import { restoreSteps } from '../engine/compile.js'
import { withinValues } from '../engine/bundle-limits.js'
import type { BackgroundLog } from './background.js'
import { ServiceError } from './errors.js'
import type { CompileReply, DiffReply, PolicyJob, PolicyReply, StoredSuiteFacts, SuiteReply } from './policy-jobs.js'
import { diffJob, emptyPolicy, runPolicyJob, suiteJob } from './policy-jobs.js'
import { WorkerFailedError, WorkerPool } from './worker-pool.js'
import type { WorkerFailureKind } from './worker-pool.js'
import { workerEntry } from './worker-file.js'
import type { WorkerEntry } from './worker-file.js'

/** Threads at most: one core is left to the event loop. */
export const DEFAULT_POLICY_THREADS = Math.max(1, Math.min(2, availableParallelism() - 1))
/** How long one job may run on its thread; a diff over the most profiles allowed takes a few seconds. */
export const DEFAULT_POLICY_JOB_TIMEOUT_MS = 30_000
/** Jobs waiting for a thread at most (each holds a bundle of at most `BUNDLE_LIMITS`). */
export const DEFAULT_POLICY_QUEUE = 64
/** The longest the rebuilding of a compiled policy holds the loop before it lets other work run. */
export const SLICE_MS = 2

/**
 * Bundles of at most this many JSON values, without conditions, are compiled in place:
 * about a millisecond, less than a round trip to a thread. The shipped templates hold at most 566.
 */
export const INLINE_VALUES = 1_000
/** Suites of at most this many cases on such a bundle run in place. */
export const INLINE_CASES = 50
/** Diffs over at most this many stored subjects of such bundles run in place. */
export const INLINE_SUBJECTS = 50

export type CompileResult = { ok: true, policy: CompiledPolicy } | { ok: false, issues: Issue[] }

export interface PolicyWorkersOptions {
  threads?: number
  timeoutMs?: number
  maxQueue?: number
  /** The thread's entry (tests: one that fails); default `workerEntry`'s. */
  entry?: WorkerEntry
  /** Where failures are logged; the app passes its logger. */
  log?: BackgroundLog
}

export class PolicyWorkers {
  readonly #pool: WorkerPool<PolicyJob, PolicyReply>

  constructor (opts: PolicyWorkersOptions = {}) {
    const log = opts.log
    this.#pool = new WorkerPool({
      entry: opts.entry ?? workerEntry(import.meta.url, 'policy-worker'),
      size: opts.threads ?? DEFAULT_POLICY_THREADS,
      timeoutMs: opts.timeoutMs ?? DEFAULT_POLICY_JOB_TIMEOUT_MS,
      maxQueue: opts.maxQueue ?? DEFAULT_POLICY_QUEUE,
      inline: runPolicyJob,
      onFailure: (kind, err) => { log?.warn({ err, kind }, `policy worker thread: ${kind}, the request is answered 503`) }
    })
  }

  /** Jobs the threads did not answer since start, by kind. */
  get failures (): Readonly<Record<WorkerFailureKind, number>> {
    return this.#pool.failures
  }

  /** `compileBundle`, on a thread unless the bundle is small. Throws ServiceError `unavailable`. */
  async compile (bundle: unknown): Promise<CompileResult> {
    if (inlineBundle(bundle)) return compileBundle(bundle)
    const reply = await this.#run({ kind: 'compile', bundle }) as CompileReply
    if (!reply.ok) return reply
    return { ok: true, policy: await stepped(restoreSteps(reply.transfer)) }
  }

  /** `diffJob` of `before` (the tenant's policy, `undefined`: none) and a draft; on a thread unless all of it is small. */
  async diff (before: CompiledPolicy | undefined, after: unknown, subjects: Subject[], maxProfileModules: number): Promise<DiffReply> {
    const beforeBundle = before?.bundle
    if (subjects.length <= INLINE_SUBJECTS && inlineBundle(after) && (beforeBundle === undefined || inlineBundle(beforeBundle))) {
      return diffJob(before ?? emptyPolicy(), after, subjects, maxProfileModules)
    }
    return await this.#run({ kind: 'diff', before: beforeBundle, after, subjects, maxProfileModules }) as DiffReply
  }

  /** `suiteJob` on the suite `value` (a draft bundle in it, or `live`); on a thread unless all of it is small. */
  async suite (value: unknown, live: CompiledPolicy | undefined, stored: StoredSuiteFacts | undefined): Promise<SuiteReply> {
    const doc = typeof value === 'object' && value !== null ? value as { bundle?: unknown, cases?: unknown } : {}
    const cases = Array.isArray(doc.cases) ? doc.cases.length : 0
    const bundle: unknown = doc.bundle ?? live?.bundle
    if (cases <= INLINE_CASES && (bundle === undefined || inlineBundle(bundle))) return suiteJob(value, live, stored)
    return await this.#run({ kind: 'suite', value, live: live?.bundle, stored }) as SuiteReply
  }

  /** Stops the threads; later jobs run in place. */
  async close (): Promise<void> {
    await this.#pool.close()
  }

  async #run (job: PolicyJob): Promise<PolicyReply> {
    try {
      return await this.#pool.run(job)
    } catch (err) {
      if (!(err instanceof WorkerFailedError)) throw err
      const why = err.kind === 'busy' ? 'too many policy jobs are waiting' : 'the thread checking it failed'
      throw new ServiceError('unavailable', `the policy work could not be done: ${why}, retry later`)
    }
  }
}

/** Whether a bundle is small enough to compile in place: at most `INLINE_VALUES` values, no condition. */
export function inlineBundle (bundle: unknown): boolean {
  return withinValues(bundle, INLINE_VALUES) && !hasCondition(bundle)
}

function hasCondition (value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'when' || hasCondition(inner)) return true
  }
  return false
}

/** Runs `steps` to the end, letting other work run each time they have held the loop for `SLICE_MS`. */
export async function stepped<T> (steps: Generator<void, T, void>): Promise<T> {
  let sliceStart = performance.now()
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn()
      sliceStart = performance.now()
    }
  }
}
