/**
 * Command-line parsing with `node:util` `parseArgs`, its errors turned into usage
 * messages in the house style (lowercase, names in backticks).
 */
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'

/** The command line is wrong: `main` prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  /** The command whose usage applies; `undefined` for the top level. */
  readonly command: string | undefined

  constructor (command: string | undefined, message: string) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses `args` strictly (unknown options are errors); positionals may come anywhere. Throws UsageError. */
export function parseCommandLine<T extends Options> (args: readonly string[], options: T, command: string): ReturnType<typeof parseArgs<{ args: string[], options: T, allowPositionals: true, strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(command, argsErrorMessage(err))
  }
}

function argsErrorMessage (err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : ''
  const message = err instanceof Error ? err.message : String(err)
  const quoted = /'([^']+)'/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted !== undefined) return `unknown option \`${quoted}\``
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted !== undefined) {
    const option = quoted.split(',').pop()?.trim().split(' ')[0] ?? quoted
    return message.includes('argument missing') ? `option \`${option}\` needs a value` : `option \`${option}\` takes no value`
  }
  const first = (message.split('. ')[0] ?? message).replace(/\.$/, '').replace(/'([^']+)'/g, '`$1`')
  return first.length === 0 ? 'invalid command line' : `${first[0]?.toLowerCase() ?? ''}${first.slice(1)}`
}
