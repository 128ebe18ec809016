/**
 * What a command may touch of the outside world: its output streams and the files it
 * reads. Commands take a `CliIo` so that tests can run them in-process; `processIo()`
 * is the real one.
 */
import { readFileSync } from 'node:fs'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Reads a UTF-8 file; throws the `fs` error (with its `code`) when it cannot. */
  readFile: (path: string) => string
  /** Print stack traces of internal errors (`GATEHOUSE_DEBUG` set). */
  debug: boolean
}

export function processIo (): CliIo {
  return {
    stdout: text => { process.stdout.write(text) },
    stderr: text => { process.stderr.write(text) },
    readFile: path => readFileSync(path, 'utf8'),
    debug: process.env.GATEHOUSE_DEBUG !== undefined && process.env.GATEHOUSE_DEBUG !== ''
  }
}

/** Why a file could not be read, as a message fragment: `no such file`, `permission denied`. */
export function fileErrorReason (err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined
  switch (code) {
    case 'ENOENT': return 'no such file'
    case 'EISDIR': return 'it is a directory'
    case 'EACCES':
    case 'EPERM': return 'permission denied'
    case 'ENOTDIR': return 'a part of the path is not a directory'
    default: return err instanceof Error ? lowerFirst(err.message) : 'unknown error'
  }
}

export function lowerFirst (text: string): string {
  return text.length === 0 ? text : `${text[0]?.toLowerCase() ?? ''}${text.slice(1)}`
}
