/**
 * Where a worker thread's entry file is: beside the module that starts it, as `.ts` when
 * that module runs from `src/` under a TypeScript loader (tests, tsx), which the worker
 * inherits through `execArgv`, and as `.js` when it runs from `dist/`.
 *
 * `GATEHOUSE_WORKER_DIR` names a directory of entries already bundled to JavaScript
 * (`<name>.mjs`, from the same sources), started without the parent's loader: under the
 * tests' loader a thread spent 1.8 to 2.7 s of the process's CPU (5 to 10 s of wall on
 * the loaded 2-core machine) compiling the sources again before it was ready, the bundle
 * 0.6 to 0.7 s. The test run sets it (`.taprc`); `test/http/policy-workers.test.ts` still
 * starts the `.ts` entry under the loader.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

export interface WorkerEntry {
  file: URL
  /** The thread's Node options; unset: the parent's (`process.execArgv`, with its loader). */
  execArgv?: string[]
}

/** The sibling `<name>.ts` or `<name>.js` of the module at `moduleUrl` (its `import.meta.url`). */
export function workerFile (moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl)
}

/** `<name>.mjs` in `GATEHOUSE_WORKER_DIR` without the parent's loader when it is set, else `workerFile`. */
export function workerEntry (moduleUrl: string, name: string): WorkerEntry {
  const dir = process.env.GATEHOUSE_WORKER_DIR
  if (dir === undefined || dir === '') return { file: workerFile(moduleUrl, name) }
  // Relative to the working directory, as a path given on the command line.
  return { file: pathToFileURL(resolve(dir, `${name}.mjs`)), execArgv: [] }
}

/** A thread started on `entry`, with its Node options when it names some. */
export function startWorker (entry: WorkerEntry): Worker {
  return new Worker(entry.file, entry.execArgv === undefined ? {} : { execArgv: entry.execArgv })
}
