/**
 * Running `gatehouse` the way a user does, as a child process from the repository root:
 * `main` from the CLI bundled by the `before` script out of the current sources
 * (test/helpers/cli-entry.ts, which does what the shim does), or with `viaBin`
 * `node bin/gatehouse.js ...` itself, with GATEHOUSE_CLI_FROM_SOURCE so that the shim runs
 * the TypeScript sources through tsx and a stale dist/ never answers for the code under
 * test. Through tsx a child costs 1.5 s of CPU, through the bundle 0.5 s.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { CliIo } from '../../src/cli/main.js'
import { bundleFile } from '../helpers/bundles.js'
import { NO_CHILD_COVERAGE } from '../helpers/child-coverage.js'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const binPath = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url))
export const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export async function runCli (args: readonly string[], opts: { cwd?: string, viaBin?: boolean } = {}): Promise<CliRun> {
  const entry = opts.viaBin === true ? binPath : bundleFile('cli')
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, GATEHOUSE_CLI_FROM_SOURCE: '1', GATEHOUSE_DEBUG: '', NODE_OPTIONS: '', ...NO_CHILD_COVERAGE },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

/** An in-process `CliIo` that keeps what the command writes and reads real files; `overrides` replace any part. */
export function captureIo (overrides: Partial<CliIo> = {}): CliIo & { out: string, err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => { io.out += text },
    stderr: (text: string) => { io.err += text },
    readFile: (path: string) => readFileSync(path, 'utf8'),
    debug: false,
    ...overrides
  }
  return io
}

/** Lines that only a stack trace prints. */
export const STACK_LINE = /^\s+at .+[(:]\d+/m

/**
 * A small well-formedness check for the XML the junit reporter writes: one root, every
 * tag closed in order, attributes quoted, only the five predefined entities and
 * numeric character references. Returns the element names in document order.
 */
export function checkXml (text: string): { ok: true, elements: string[] } | { ok: false, error: string } {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, '')
  const stack: string[] = []
  const elements: string[] = []
  let roots = 0
  const token = /<\/?([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy
  let m: RegExpExecArray | null
  let at = 0
  while (at < body.length) {
    token.lastIndex = at
    m = token.exec(body)
    if (m === null) return { ok: false, error: `unexpected markup at offset ${at}: ${body.slice(at, at + 40)}` }
    at = token.lastIndex
    const [whole, name, attrs, selfClosing, textNode] = m
    const entityText = textNode ?? attrs ?? ''
    const badEntity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(entityText)
    if (badEntity !== null) return { ok: false, error: `bad entity near ${entityText.slice(badEntity.index, badEntity.index + 12)}` }
    if (textNode !== undefined) {
      if (stack.length === 0 && textNode.trim() !== '') return { ok: false, error: 'text outside the root element' }
      continue
    }
    if (name === undefined) return { ok: false, error: 'unnamed tag' }
    if (whole.startsWith('</')) {
      if (stack.pop() !== name) return { ok: false, error: `closing tag </${name}> does not match` }
      continue
    }
    if (stack.length === 0) roots++
    elements.push(name)
    if (selfClosing !== '/') stack.push(name)
  }
  if (stack.length > 0) return { ok: false, error: `unclosed <${stack.join('>, <')}>` }
  if (roots !== 1) return { ok: false, error: `${roots} root elements` }
  return { ok: true, elements }
}
