/**
 * The template regression suites (DESIGN.md §6, issue 5): every src/templates/<name>/
 * suite.yaml passes through the CLI's own code path (`gatehouse test`, in-process), and
 * every permission sentence of the template's seed, listed verbatim in
 * test/templates/sentences/<name>.yaml, is quoted by at least one case. The coverage
 * table of src/templates/README.md is checked against those lists.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { main } from '../../src/cli/main.js'
import { runSuiteFile } from '../../src/cli/test-command.js'
import { captureIo } from '../cli/helpers.js'
import { compileBundle, decide } from '../../src/engine/index.js'

const templatesDir = fileURLToPath(new URL('../../src/templates/', import.meta.url))
const sentencesDir = fileURLToPath(new URL('sentences/', import.meta.url))
/** The seed documents, beside DESIGN.md (as test/cli/todo-suite.test.ts reads ../shared/authzen). */
const seedsDir = fileURLToPath(new URL('../../../shared/seeds/', import.meta.url))
const EXPECTED = ['construction-projects', 'field-crew', 'maintenance', 'service-company', 'site-orders']

const templateNames = (): string[] =>
  readdirSync(templatesDir).filter(name => statSync(join(templatesDir, name)).isDirectory()).sort()
const suiteFile = (name: string): string => join(templatesDir, name, 'suite.yaml')

interface Sentence { section?: string, text: string, gap?: string }
interface Inventory { template: string, seed: string, sentences: Sentence[] }

const loadInventory = (name: string): Inventory => parse(readFileSync(join(sentencesDir, `${name}.yaml`), 'utf8')) as Inventory
/** How a case quotes a sentence: `<section> › <text>`, or the text alone. */
const quoteOf = (s: Sentence): string => s.section === undefined ? s.text : `${s.section} › ${s.text}`

/** Every `says` of a suite file, as written. */
function quotesOf (name: string): string[] {
  const suite = parse(readFileSync(suiteFile(name), 'utf8')) as { cases: Array<{ says?: string | string[] }> }
  return suite.cases.flatMap(c => c.says === undefined ? [] : Array.isArray(c.says) ? c.says : [c.says])
}

t.test('every template has a suite, and only the five seed templates exist', async t => {
  t.same(templateNames(), EXPECTED)
  for (const name of EXPECTED) {
    t.ok(statSync(suiteFile(name), { throwIfNoEntry: false })?.isFile(), `\`${name}/suite.yaml\` exists`)
    t.ok(statSync(join(sentencesDir, `${name}.yaml`), { throwIfNoEntry: false })?.isFile(), `the sentence list of \`${name}\` exists`)
  }
})

for (const name of EXPECTED) {
  t.test(`\`gatehouse test\` passes every case of the \`${name}\` suite`, async t => {
    const outcome = runSuiteFile(suiteFile(name), captureIo())
    if (outcome.status === 'invalid') {
      t.fail(`the suite does not load:\n${outcome.issues.map(i => `${i.file}:${i.line ?? 0}:${i.column ?? 0}: ${i.code}: ${i.message}`).join('\n')}`)
      return
    }
    const { result } = outcome
    t.equal(result.bundleFile, join(templatesDir, name, 'bundle.yaml'), 'the suite runs the template\'s own bundle')
    t.ok(result.total >= 100, `a suite of substance (${result.total} cases)`)
    for (const c of result.cases.filter(c => !c.passed)) {
      t.fail(`${c.name} (line ${c.line ?? 0}): ${c.mismatches.join('; ')}; reason ${c.actual.reason.code}: ${c.actual.reason.message}`)
    }
    t.equal(result.failed, 0, `${result.passed} of ${result.total} cases pass`)
  })

  t.test(`every permission sentence of the \`${name}\` seed is quoted by a case`, async t => {
    const inventory = loadInventory(name)
    t.equal(inventory.template, name)
    const known = new Map(inventory.sentences.map(s => [quoteOf(s), s]))
    t.equal(known.size, inventory.sentences.length, 'no sentence is listed twice')
    const quoted = new Set(quotesOf(name))
    for (const q of quoted) t.ok(known.has(q), `\`says\` quotes a listed sentence verbatim: ${q}`)
    for (const s of inventory.sentences) {
      if (s.gap === undefined) t.ok(quoted.has(quoteOf(s)), `covered: ${quoteOf(s)}`)
      else t.notOk(quoted.has(quoteOf(s)), `a gap is not claimed as covered: ${quoteOf(s)}`)
    }
  })
}

t.test('every listed sentence is verbatim in its seed document', async t => {
  const squash = (text: string): string => text.replace(/\s+/g, ' ')
  for (const name of EXPECTED) {
    const inventory = loadInventory(name)
    const seedFile = readdirSync(seedsDir).find(f => f.startsWith(`${inventory.seed}_`))
    t.ok(seedFile, `seed ${inventory.seed} of \`${name}\` is in ${seedsDir}`)
    if (seedFile === undefined) continue
    const seed = squash(readFileSync(join(seedsDir, seedFile), 'utf8'))
    for (const s of inventory.sentences) t.ok(seed.includes(squash(s.text)), `seed ${inventory.seed} says: ${s.text}`)
  }
})

t.test('the README coverage table matches the sentence lists and the suites', async t => {
  const readme = readFileSync(join(templatesDir, 'README.md'), 'utf8')
  for (const name of EXPECTED) {
    const inventory = loadInventory(name)
    const quoted = new Set(quotesOf(name))
    const total = inventory.sentences.length
    const covered = inventory.sentences.filter(s => quoted.has(quoteOf(s))).length
    const gaps = inventory.sentences.filter(s => s.gap !== undefined).length
    const row = new RegExp(`^\\| \`${name}\` \\| ${inventory.seed} \\| ${total} \\| ${covered} \\| ${gaps} \\|`, 'm')
    t.match(readme, row, `README row of \`${name}\`: ${total} sentences, ${covered} covered, ${gaps} gaps`)
  }
})

t.test('`gatehouse test` on the five suites exits 0', async t => {
  const io = captureIo()
  const code = await main(['test', ...EXPECTED.map(suiteFile)], io)
  t.equal(code, 0, io.out + io.err)
  t.match(io.out, /5 suites; \d+ cases: \d+ passed, 0 failed/)
})

t.test('a wrong expectation in a template suite fails the run and names the case', async t => {
  const file = suiteFile('site-orders')
  const text = readFileSync(file, 'utf8')
  const wrong = text.replace(
    /(- name: operative does not see the orders of another site\n(?: {4}.*\n)*? {4}expect: )deny\n {4}reason: no_grant\n/,
    '$1allow\n')
  t.not(wrong, text, 'the fixture edit applied')
  const io = captureIo({ readFile: path => path === file ? wrong : readFileSync(path, 'utf8') })
  const code = await main(['test', file], io)
  t.equal(code, 1)
  t.match(io.out, 'FAIL operative does not see the orders of another site')
  t.match(io.out, 'expected `allow`, got `deny`')
})

t.test('a deleted resource (no longer a subject) is refused as unknown', async t => {
  // "Pour supprimer une ressource › Dès que l'application Plannit sera rafraîchie,
  // l'utilisateur sera éjecté de l'application." A suite case always names a declared
  // subject, so the deleted subject is checked against the engine directly.
  const compiled = compileBundle(parse(readFileSync(join(templatesDir, 'field-crew', 'bundle.yaml'), 'utf8')))
  t.ok(compiled.ok)
  if (!compiled.ok) return
  const decision = decide(compiled.policy, {
    subject: undefined,
    subjectId: 'deleted-employee',
    action: 'view',
    resource: { module: 'jobs', id: 'j-1', relations: { responsible: ['deleted-employee'] } }
  })
  t.match(decision, { allowed: false, reason: { code: 'subject_unknown' } })
})
