/**
 * `src/main.ts` as a process: configuration from the environment, the embedded store in
 * a data directory, the root key generated and printed once, a graceful close on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { NO_CHILD_COVERAGE } from '../helpers/child-coverage.js'
import { seedPgliteDataDir } from '../helpers/db.js'

const main = new URL('../../src/main.ts', import.meta.url).pathname

interface Started {
  port: number
  rootKey: string | undefined
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
  output: () => string
  /** What the process wrote on stdout alone (its JSON log stream). */
  stdout: () => string
}

/** Starts the service and resolves once it listens (or rejects when it exits first). */
async function start (env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { PATH: process.env.PATH ?? '', ...NO_CHILD_COVERAGE, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let stdout = ''
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return await new Promise<Started>((resolve, reject) => {
    let rootKey: string | undefined
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      rootKey ??= /generated root key[^:]*: (\S+)/.exec(out)?.[1]
      const listening = /Server listening at http:\/\/[0-9.]+:(\d+)/.exec(out)
      if (listening?.[1] !== undefined) {
        const port = Number(listening[1])
        // The key is written to stderr before the listening line reaches stdout, so its
        // chunk is read in the same poll of the pipes at the latest: settle after it.
        setImmediate(() => resolve({
          port,
          rootKey,
          output: () => out,
          stdout: () => stdout,
          stop: async (signal = 'SIGTERM') => { child.kill(signal); return await exited }
        }))
      }
    }
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); onData(chunk) })
    child.stderr.on('data', onData)
    exited.then(code => reject(new Error(`exited with ${String(code)} before listening: ${out}`)), () => {})
  })
}

async function run (env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env: { PATH: process.env.PATH ?? '', ...NO_CHILD_COVERAGE, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr.on('data', (c: Buffer) => { output += c.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  return { code, output }
}

t.test('a bad configuration stops start-up with a message naming the variable', async t => {
  const { code, output } = await run({ PORT: 'eighty', LOG_LEVEL: 'loud' })
  t.equal(code, 1)
  t.match(output, /`PORT`/)
  t.match(output, /`LOG_LEVEL`/)
  t.notMatch(output, /\bat .+\.(ts|js):\d+/, 'no stack trace')
})

t.test('first start generates and prints the root key once; a restart keeps it; SIGTERM closes gracefully', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-main-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))

  const first = await start({ GATEHOUSE_DATA_DIR: dataDir })
  t.match(first.rootKey, /^gh_root_[A-Za-z0-9_-]{43}$/, 'the generated root key is printed')
  t.notOk(first.stdout().includes(first.rootKey ?? 'no key'), 'the root key is on stderr, never in the log stream on stdout')
  const base = `http://127.0.0.1:${first.port}`
  t.equal((await fetch(`${base}/readyz`)).status, 200)
  const created = await fetch(`${base}/v1/tenants/acme`, { method: 'PUT', headers: { authorization: `Bearer ${first.rootKey ?? ''}` } })
  t.equal(created.status, 201, 'the root key works')
  t.equal(await first.stop('SIGTERM'), 0, 'SIGTERM closes the app and the store, then exits 0')
  t.match(first.output(), /closing/)

  const second = await start({ GATEHOUSE_DATA_DIR: dataDir })
  t.equal(second.rootKey, undefined, 'a restart prints no key')
  t.notMatch(second.output(), /gh_root_/, 'the key appears nowhere in the output')
  const again = await fetch(`http://127.0.0.1:${second.port}/v1/tenants/acme`, { headers: { authorization: `Bearer ${first.rootKey ?? ''}` } })
  t.equal(again.status, 200, 'the same root key still works, and the data is still there')
  t.equal(await second.stop('SIGINT'), 0)
})

t.test('a configured root key is used and nothing is generated', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-main-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  // Not a first start (the test above is): the migrated template spares the child an initdb.
  await seedPgliteDataDir(dataDir)
  const rootKey = 'configured-root-key-0123456789'
  const started = await start({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ROOT_KEY: rootKey, GATEHOUSE_PUBLIC_URL: 'https://pdp.example.com/' })
  t.equal(started.rootKey, undefined)
  const base = `http://127.0.0.1:${started.port}`
  t.equal((await fetch(`${base}/v1/tenants/acme`, { method: 'PUT', headers: { authorization: `Bearer ${rootKey}` } })).status, 201)
  const meta = await (await fetch(`${base}/.well-known/authzen-configuration`)).json() as Record<string, string>
  t.equal(meta.policy_decision_point, 'https://pdp.example.com', 'the public url, without its trailing slash')
  t.equal(await started.stop(), 0)
})

t.test('the start-up line names the address really bound; metrics on their own port, with their token', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-main-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  await seedPgliteDataDir(dataDir)
  const token = 'metrics-token-0123456789'
  const started = await start({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_ROOT_KEY: 'configured-root-key-0123456789', HOST: '0.0.0.0', GATEHOUSE_METRICS_PORT: '0', GATEHOUSE_METRICS_TOKEN: token })
  t.match(started.stdout(), `"msg":"Server listening at http://0.0.0.0:${started.port}"`, 'the wildcard address bound, with the port the system gave')
  const line = /"msg":"metrics at (http:\/\/127\.0\.0\.1:(\d+)\/metrics) \(bearer token required\)"/.exec(started.stdout())
  t.ok(line, 'the metrics address is logged, on loopback by default')
  const url = line?.[1] ?? ''
  t.not(Number(line?.[2]), started.port, 'on a port of its own')
  t.equal((await fetch(url)).status, 401, 'not without the token')
  const scraped = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  t.equal(scraped.status, 200)
  t.match(await scraped.text(), /# TYPE gatehouse_http_request_duration_seconds histogram/)
  t.equal((await fetch(`http://127.0.0.1:${started.port}/metrics`)).status, 404, 'never on the API port')
  t.notMatch(started.output(), token, 'the token is never logged')
  t.equal(await started.stop(), 0, 'SIGTERM closes both listeners')
})
