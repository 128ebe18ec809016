/**
 * The `gatehouse` command line (bin/gatehouse.js, and packages/cli/bin/gatehouse.js in the
 * `@gatehouse-pdp/cli` package, import this module and call `main`).
 * Commands are thin wrappers over src/service. Every outcome is an exit status and a
 * message: usage mistakes and unloadable inputs exit 2 with a one-line reason, and an
 * unexpected error exits 3 and prints no stack trace unless `GATEHOUSE_DEBUG` is set.
 */
import { UsageError } from './args.js'
import type { CliIo } from './io.js'
import { processIo } from './io.js'
import { testCommand, TEST_USAGE } from './test-command.js'
import { diffCommand, DIFF_USAGE } from './diff-command.js'
import { templateCommand, TEMPLATE_USAGE } from './template-command.js'

export type { CliIo } from './io.js'

/** A bug, not a verdict on the input: distinct from 2 so that CI logs tell them apart. */
export const EXIT_INTERNAL = 3

interface Command {
  summary: string
  usage: string
  run: (args: readonly string[], io: CliIo) => Promise<number>
}

/** The commands, by name. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  test: { summary: 'run policy test suites offline', usage: TEST_USAGE, run: testCommand },
  diff: { summary: 'show what changes between two policy bundles', usage: DIFF_USAGE, run: diffCommand },
  template: { summary: 'list the shipped policy templates, or print one', usage: TEMPLATE_USAGE, run: templateCommand }
}

export const USAGE = `usage: gatehouse <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n')}

Run \`gatehouse <command> --help\` for a command's options; \`gatehouse --version\` prints the version.
`

export interface MainOptions {
  /** What `--version` prints: the version of the package the command was installed from (its bin script reads it). */
  version?: string
}

/** Runs the command line `args` (without `node` and the script) and resolves to the exit status. */
export async function main (args: readonly string[], io: CliIo = processIo(), options: MainOptions = {}): Promise<number> {
  const [name, ...rest] = args
  try {
    if (name === undefined) throw new UsageError(undefined, 'name a command')
    if (name === '--version' || name === '-v') {
      io.stdout(`${options.version ?? 'unknown'}\n`)
      return 0
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = rest[0]
      const command = topic !== undefined && Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined
      if (topic !== undefined && command === undefined) throw new UsageError(undefined, `unknown command \`${topic}\``)
      io.stdout(command?.usage ?? USAGE)
      return 0
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
    if (command === undefined) throw new UsageError(undefined, `unknown command \`${name}\``)
    return await command.run(rest, io)
  } catch (err) {
    if (err instanceof UsageError) {
      const prefix = err.command === undefined ? 'gatehouse' : `gatehouse ${err.command}`
      const help = name === undefined ? `\n${USAGE}` : `run \`${prefix} --help\` for usage\n`
      io.stderr(`${prefix}: ${err.message}\n${help}`)
      return 2
    }
    // INVARIANT: bad input never reaches here (loaders return issues); this is a bug.
    const detail = io.debug && err instanceof Error && err.stack !== undefined ? err.stack : err instanceof Error ? err.message : String(err)
    io.stderr(`gatehouse: internal error: ${detail}\n`)
    return EXIT_INTERNAL
  }
}
