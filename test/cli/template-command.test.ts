/**
 * `gatehouse template` end to end: the CLI spawned as a child
 * process (`runCli`: the CLI bundled from the sources; the first case of test-command.test.ts
 * and `--version` in main.test.ts run bin/gatehouse.js itself). Listing the
 * shipped templates, printing one so that `npx gatehouse template NAME > bundle.yaml`
 * starts a policy that decides exactly as the shipped file, and refusing unknown names.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../../src/cli/main.js'
import { compileBundle, decide, exportBundle } from '../../src/engine/index.js'
import type { CompiledPolicy } from '../../src/engine/index.js'
import { diffPolicies } from '../../src/service/policy-diff/index.js'
import { ancestorsOf, loadSuiteText, parseSource } from '../../src/service/policy-tests/index.js'
import { findTemplatesFolder, templateNames } from '../../src/service/templates.js'
import { captureIo, runCli, STACK_LINE } from './helpers.js'

const folder = findTemplatesFolder()
const names = templateNames()

function compileText (text: string): CompiledPolicy {
  const parsed = parseSource(text)
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  const compiled = compileBundle(parsed.source.value)
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues))
  return compiled.policy
}

t.test('the five templates of DESIGN.md §6 are shipped', async t => {
  t.same(names, ['construction-projects', 'field-crew', 'maintenance', 'service-company', 'site-orders'])
})

t.test('without NAME, lists every template with its description and roles', async t => {
  const run = await runCli(['template'])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stderr, '')
  const lines = run.stdout.split('\n')
  t.equal(lines[0], 'templates (print one with `gatehouse template NAME > bundle.yaml`):')
  for (const name of names) {
    const line = lines.find(l => l.startsWith(`  ${name} `))
    t.ok(line, `lists ${name}`)
    t.match(line, /seed 00\d: \S/, `${name} has its description`)
  }
  t.match(run.stdout, /^ +roles: admin, manager, operative, compagnon$/m, 'site-orders roles, in bundle order')
})

t.test('with NAME, prints the bundle as shipped; the printed YAML decides exactly as the shipped file', async t => {
  for (const name of names) {
    await t.test(name, async t => {
      const file = join(folder, name, 'bundle.yaml')
      const shippedText = readFileSync(file, 'utf8')
      const run = await runCli(['template', name])
      t.equal(run.code, 0, run.stderr)
      t.equal(run.stderr, '')
      t.equal(run.stdout, shippedText, 'byte for byte, comments included')

      const shipped = compileText(shippedText)
      const printed = compileText(run.stdout)
      t.same(exportBundle(printed), exportBundle(shipped), 'the same normalized bundle')
      t.equal(diffPolicies(shipped, printed).changed, false, 'no role, field or declaration differs')

      // Every case of the template's own suite gets the same decision, reason and fields from both.
      const suiteFile = join(folder, name, 'suite.yaml')
      const loaded = loadSuiteText(readFileSync(suiteFile, 'utf8'), { file: suiteFile, policy: printed })
      if (!loaded.ok) {
        t.fail(`the ${name} suite loads against the printed bundle: ${JSON.stringify(loaded.issues.slice(0, 3))}`)
        return
      }
      let compared = 0
      for (const c of loaded.suite.cases) {
        const request = { subject: c.subject, subjectId: c.subjectRef, action: c.action, resource: c.resource.facts, ancestors: ancestorsOf(loaded.suite, c.resource.facts) }
        const a = decide(printed, request)
        const b = decide(shipped, request)
        if (JSON.stringify(a) !== JSON.stringify(b)) t.fail(`case \`${c.name}\` decides differently`, { printed: a, shipped: b })
        compared++
      }
      t.ok(compared > 0, `${compared} suite cases decide the same`)
    })
  }
})

t.test('`template NAME > bundle.yaml` gives a file that `gatehouse diff` finds identical to the shipped one', async t => {
  const run = await runCli(['template', 'field-crew'])
  t.equal(run.code, 0, run.stderr)
  const dir = t.testdir({ 'bundle.yaml': run.stdout })
  const diff = await runCli(['diff', 'src/templates/field-crew/bundle.yaml', `${dir}/bundle.yaml`])
  t.equal(diff.code, 0, diff.stdout + diff.stderr)
  t.match(diff.stdout, 'no difference')
})

t.test('an unknown NAME exits 2 and lists the templates', async t => {
  for (const name of ['field_crew', '../templates/site-orders', 'README.md']) {
    const run = await runCli(['template', name])
    t.equal(run.code, 2, name)
    t.equal(run.stdout, '', 'nothing a shell redirection would save as a bundle')
    t.match(run.stderr, `gatehouse template: unknown template \`${name}\`\n\ntemplates (print one with`)
    for (const known of names) t.match(run.stderr, `  ${known} `)
    t.notMatch(run.stderr, STACK_LINE)
  }
})

t.test('usage (in-process)', async t => {
  const help = captureIo()
  t.equal(await main(['template', '--help'], help), 0)
  t.match(help.out, /^usage: gatehouse template \[NAME\]/)
  const two = captureIo()
  t.equal(await main(['template', 'site-orders', 'field-crew'], two), 2)
  t.equal(two.err, 'gatehouse template: unexpected argument `field-crew`: name one template\nrun `gatehouse template --help` for usage\n')
  t.equal(two.out, '')
  const option = captureIo()
  t.equal(await main(['template', '--all'], option), 2)
  t.match(option.err, 'gatehouse template: unknown option `--all`')
  const listed = captureIo()
  t.equal(await main(['help'], listed), 0)
  t.match(listed.out, /^ {2}diff {7}show what changes between two policy bundles$/m)
  t.match(listed.out, /^ {2}template {3}list the shipped policy templates, or print one$/m)
})
