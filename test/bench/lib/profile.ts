/**
 * Reading V8 CPU profiles (`.cpuprofile`, from `node --cpu-prof` or the inspector):
 * self time per function, and per source file, hottest first.
 */

export interface CpuProfile {
  nodes: Array<{ id: number, callFrame: { functionName: string, url: string }, hitCount?: number }>
  samples?: number[]
  timeDeltas?: number[]
  startTime: number
  endTime: number
}

export interface Hot {
  name: string
  selfMs: number
  /** Share of the busy (not idle) samples. */
  share: number
}

/** The project-relative form of a profile URL (`src/engine/decide.ts`), or the package name for dependencies. */
export function shortUrl (url: string, root: string): string {
  const path = url.replace(/^file:\/\//, '')
  const inModules = path.lastIndexOf('/node_modules/')
  if (inModules >= 0) {
    const rest = path.slice(inModules + '/node_modules/'.length).split('/')
    return `node_modules/${rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? ''}`
  }
  if (path.startsWith(root)) return path.slice(root.length)
  return path === '' ? '(native)' : path
}

/**
 * Self time per function (`name file`) and per file, as shares of the busy samples taken
 * within `window` (monotonic-clock microseconds, as `process.hrtime` counts them and V8
 * stamps samples on Linux), or of all samples.
 */
export function hottest (profile: CpuProfile, root: string, opts: { top?: number, window?: { from: number, to: number } } = {}): { functions: Hot[], files: Hot[], busyMs: number, idleMs: number } {
  const top = opts.top ?? 15
  const byNode = new Map(profile.nodes.map(n => [n.id, n]))
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  let at = profile.startTime
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0
    if (opts.window !== undefined && (at < opts.window.from || at > opts.window.to)) continue
    const id = samples[i] as number
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0))
  }
  let total = 0
  let idle = 0
  const fn = new Map<string, number>()
  const file = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byNode.get(id)
    if (node === undefined) continue
    if (node.callFrame.functionName === '(idle)') {
      idle += us
      continue
    }
    total += us
    const { functionName, url } = node.callFrame
    const where = shortUrl(url, root)
    const name = `${functionName === '' ? '(anonymous)' : functionName} ${where}`
    fn.set(name, (fn.get(name) ?? 0) + us)
    file.set(where, (file.get(where) ?? 0) + us)
  }
  const list = (m: Map<string, number>): Hot[] => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: total === 0 ? 0 : us / total }))
  return { functions: list(fn), files: list(file), busyMs: total / 1000, idleMs: idle / 1000 }
}
