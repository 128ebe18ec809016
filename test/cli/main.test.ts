/**
 * `main` in-process, with a captured `CliIo`: help, usage errors and the last-resort
 * handler that keeps stack traces out of the output.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { EXIT_INTERNAL, main } from '../../src/cli/main.js'
import { captureIo, fixture, runCli } from './helpers.js'

t.test('help names the commands; help <command> prints its usage', async t => {
  const io = captureIo()
  t.equal(await main(['help'], io), 0)
  t.match(io.out, /^usage: gatehouse <command>/)
  const test = captureIo()
  t.equal(await main(['help', 'test'], test), 0)
  t.match(test.out, /^usage: gatehouse test <suite>\.\.\./)
  const unknown = captureIo()
  t.equal(await main(['help', 'deploy'], unknown), 2)
  t.match(unknown.err, /^gatehouse: unknown command `deploy`/)
})

t.test('--version prints the version the bin script passes, and `unknown` without one', async t => {
  const io = captureIo()
  t.equal(await main(['--version'], io, { version: '1.2.3' }), 0)
  t.equal(io.out, '1.2.3\n')
  const bare = captureIo()
  t.equal(await main(['-v'], bare), 0)
  t.equal(bare.out, 'unknown\n')
})

t.test('`gatehouse --version` run as a user runs it prints the package.json version', async t => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const run = await runCli(['--version'], { viaBin: true })
  t.same({ code: run.code, stdout: run.stdout }, { code: 0, stdout: `${version}\n` })
})

t.test('a command name is looked up as an own property only', async t => {
  const io = captureIo()
  t.equal(await main(['constructor'], io), 2)
  t.match(io.err, 'unknown command `constructor`')
})

t.test('an internal error exits 3 with one line and no stack trace, unless debugging', async t => {
  const boom = (): never => { throw new TypeError('disk on fire') }
  const io = captureIo({ readFile: boom })
  // readFile errors are turned into `cannot read` problems: no internal error there.
  t.equal(await main(['test', fixture('jobs-suite.yaml')], io), 2)
  t.match(io.err, /cannot read `.*jobs-suite\.yaml`: disk on fire/)
  const broken = captureIo({ stdout: boom })
  t.equal(await main(['test', fixture('jobs-suite.yaml')], broken), EXIT_INTERNAL)
  t.equal(broken.err, 'gatehouse: internal error: disk on fire\n')
  const debug = captureIo({ stdout: boom, debug: true })
  t.equal(await main(['test', fixture('jobs-suite.yaml')], debug), EXIT_INTERNAL)
  t.match(debug.err, /^gatehouse: internal error: TypeError: disk on fire\n\s+at /)
})

t.test('a suite run in-process gives the same report as through the binary', async t => {
  const io = captureIo()
  t.equal(await main(['test', fixture('jobs-suite.yaml'), '--reporter', 'json'], io), 0)
  const report = JSON.parse(io.out)
  t.same(report.summary, { suites: 1, invalid: 0, cases: 34, passed: 34, failed: 0 })
  t.equal(report.suites[0].name, 'jobs policy')
  t.match(report.suites[0].bundleFile, /fixtures\/jobs-bundle\.yaml$/)
})
