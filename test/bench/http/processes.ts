/**
 * Child processes of the HTTP benchmark: servers pinned to core 0 and the load generator
 * pinned to core 1 with `taskset`, so that the server under test has one core to itself.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** tsx's ESM loader, resolved here so that children find it whatever their working directory. */
export const TSX = import.meta.resolve('tsx')

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
let built: string | undefined

/**
 * The service's entry point as `npm start` runs it: compiled by `npm run build` (once per
 * benchmark run) into `dist/`, never through tsx, whose transform wraps every closure
 * created at run time in a naming call that production code does not pay.
 */
export function builtService (): string {
  if (built === undefined) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
    if (r.status !== 0) throw new Error('`npm run build` failed: the service cannot be benchmarked as it runs')
    built = join(ROOT, 'dist/src/main.js')
  }
  return built
}

let tasksetChecked: boolean | undefined

/** Whether `taskset` runs here (util-linux); without it processes run unpinned. */
export function hasTaskset (): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0
  return tasksetChecked
}

/** Time a process's threads spent on a CPU, and runnable but waiting for one, in seconds. */
export interface SchedTimes {
  cpu: number
  wait: number
}

/**
 * The scheduler's accounting of a process, summed over its threads (`/proc/<pid>/task/
 * <tid>/schedstat`: time on a CPU, time waiting on a run queue); `undefined` where it
 * cannot be read (not Linux). A server that waits for its core while under load shares it
 * with other processes; one that neither runs nor waits is starved of requests.
 */
export function schedTimes (pid: number | undefined): SchedTimes | undefined {
  if (pid === undefined) return undefined
  try {
    let cpu = 0
    let wait = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, queued] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number)
        cpu += run ?? 0
        wait += queued ?? 0
      } catch {
        // the thread ended meanwhile
      }
    }
    return { cpu: cpu / 1e9, wait: wait / 1e9 }
  } catch {
    return undefined
  }
}

/**
 * Inter-processor interrupts received so far by one CPU: the "function call" and
 * "rescheduling" rows of `/proc/interrupts`, through which Linux wakes a task sleeping on
 * another CPU (`undefined` where they cannot be read). Under a hypervisor each one sent
 * can exit to the host, so a server whose responses keep waking an idle load generator
 * pays for them in its own `writev`.
 */
export function wakeIpis (cpu: number): number | undefined {
  try {
    let sum = 0
    let found = false
    for (const line of readFileSync('/proc/interrupts', 'utf8').split('\n')) {
      const cells = line.trim().split(/\s+/)
      if (cells[0] !== 'CAL:' && cells[0] !== 'RES:') continue
      const count = Number(cells[cpu + 1])
      if (!Number.isFinite(count)) return undefined
      sum += count
      found = true
    }
    return found ? sum : undefined
  } catch {
    return undefined
  }
}

/**
 * `startPinned` for a server listening on `port` at 127.0.0.1, then `waitReady` on
 * `readyPath`; stopped again when it never gets ready.
 */
export async function startServer (name: string, cpu: number, command: string, args: string[], env: NodeJS.ProcessEnv, port: number, readyPath: string): Promise<{ process: Started, base: string }> {
  const started = startPinned(name, cpu, command, args, env)
  const base = `http://127.0.0.1:${port}`
  try {
    await waitReady(started, `${base}${readyPath}`)
  } catch (err) {
    await started.stop()
    throw err
  }
  return { process: started, base }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')) })
    })
  })
}

export interface Started {
  name: string
  child: ChildProcess
  /** Everything the process wrote to stderr (and stdout), for error messages. */
  output: () => string
  stop: () => Promise<void>
}

/** Spawns `command args` pinned to `cpu` (when taskset runs), collecting its output. */
export function startPinned (name: string, cpu: number, command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const [cmd, argv] = hasTaskset() ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer): void => {
    output += chunk.toString()
    if (output.length > 20_000) output = output.slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return {
    name,
    child,
    output: () => output,
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** Polls `url` until it answers 200; throws with the process's output when it exits or `timeoutMs` passes. */
export async function waitReady (p: Started, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) before it was ready:\n${p.output()}`)
    }
    try {
      const res = await fetch(url)
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`${p.name} not ready at ${url} after ${timeoutMs} ms:\n${p.output()}`)
}
