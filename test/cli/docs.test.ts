/**
 * docs/policy-tests.md stays true: its complete example is a suite that loads, passes and
 * has the case count the page states, and the failure report the page shows is what the
 * text reporter prints when the example's first case expects `deny`.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { report } from '../../src/cli/reporters.js'
import { loadSuiteText, runSuite } from '../../src/service/policy-tests/index.js'

const page = readFileSync(new URL('../../docs/policy-tests.md', import.meta.url), 'utf8')
const FILE = 'jobs-and-documents.yaml'

/** The first fenced block of `lang` after `marker`. */
function blockAfter (marker: string, lang: string): string {
  const at = page.indexOf(marker)
  if (at < 0) throw new Error(`docs/policy-tests.md lacks ${marker}`)
  const open = page.indexOf('```' + lang + '\n', at)
  const close = page.indexOf('\n```', open)
  return page.slice(open + lang.length + 4, close + 1)
}

const example = blockAfter('<!-- example: full-suite', 'yaml')

t.test('the complete example loads and passes, with the stated number of cases', async t => {
  const loaded = loadSuiteText(example, { file: FILE })
  t.equal(loaded.ok, true, loaded.ok ? 'loads' : loaded.issues.map(i => `${i.line ?? 0}:${i.column ?? 0} ${i.message}`).join('\n'))
  if (!loaded.ok) return
  const result = runSuite(loaded.suite)
  for (const c of result.cases) t.ok(c.passed, `${c.name}: ${c.mismatches.join('; ')}`)
  const stated = blockAfter('`gatehouse test` prints, for this suite:', 'text')
  t.equal(report('text', [{ file: FILE, status: 'ran', result }]), stated)
})

t.test('the failure shown is the one the text reporter prints', async t => {
  const flipped = example.replace('    resource: jobs/j1\n    expect: allow\n    reason: role_grant\n    fields: { visible: [client_name], editable: [] }\n',
    '    resource: jobs/j1\n    expect: deny\n')
  t.not(flipped, example)
  const loaded = loadSuiteText(flipped, { file: FILE })
  if (!loaded.ok) throw new Error('flipped example does not load')
  const text = report('text', [{ file: FILE, status: 'ran', result: runSuite(loaded.suite) }])
  const shown = blockAfter('and, had the first case expected `deny`:', 'text')
  t.ok(text.startsWith(`${shown}\n`), text)
})
