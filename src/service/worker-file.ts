/**
 * Where a worker thread's entry file is: beside the module that starts it, as `.ts` when
 * that module runs from `src/` under a TypeScript loader (tests, tsx), which the worker
 * inherits through `execArgv`, and as `.js` when it runs from `dist/`.
 */

/** The sibling `<name>.ts` or `<name>.js` of the module at `moduleUrl` (its `import.meta.url`). */
export function workerFile (moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl)
}
