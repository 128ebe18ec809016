/**
 * docs/policy-diff.md stays true: its example bundles and subjects, run through
 * `gatehouse diff` (in-process, the files read from the page), print exactly the text,
 * markdown and JSON the page shows (its conditions example too), and its bad-input example
 * the message it shows.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { CliIo } from '../../src/cli/main.js'
import { main } from '../../src/cli/main.js'

const page = readFileSync(new URL('../../docs/policy-diff.md', import.meta.url), 'utf8')

/** The first fenced block of `lang` after `marker`. */
function blockAfter (marker: string, lang: string): string {
  const at = page.indexOf(marker)
  if (at < 0) throw new Error(`docs/policy-diff.md lacks ${marker}`)
  const open = page.indexOf('```' + lang + '\n', at)
  if (open < 0) throw new Error(`no ${lang} block after ${marker}`)
  const close = page.indexOf('\n```', open)
  return page.slice(open + lang.length + 4, close + 1)
}

/** A `CliIo` whose files are the page's blocks. */
function pageIo (files: Record<string, string>): CliIo & { out: string, err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => { io.out += text },
    stderr: (text: string) => { io.err += text },
    readFile: (path: string) => {
      const text = files[path]
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
      return text
    },
    debug: false
  }
  return io
}

const files = {
  'old.yaml': blockAfter('<!-- example: diff-old', 'yaml'),
  'new.yaml': blockAfter('<!-- example: diff-new', 'yaml'),
  'subjects.yaml': blockAfter('<!-- example: diff-subjects', 'yaml')
}
const args = ['diff', 'old.yaml', 'new.yaml', '--subjects', 'subjects.yaml']

t.test('the text output shown is the one printed', async t => {
  const io = pageIo(files)
  t.equal(await main(args, io), 1, io.err)
  t.equal(io.out, blockAfter('<!-- example: diff-text', 'text'))
  t.equal(io.err, '')
})

t.test('the markdown output shown is the one printed', async t => {
  const io = pageIo(files)
  t.equal(await main([...args, '--format', 'markdown'], io), 1, io.err)
  t.equal(io.out, blockAfter('<!-- example: diff-markdown', 'markdown'))
})

t.test('the JSON output shown is the acceptance case\'s report', async t => {
  const old = blockAfter('<!-- example: diff-json', 'yaml')
  const changed = old.replace(', deny: [lock]', '')
  t.not(changed, old)
  const io = pageIo({ 'old.yaml': old, 'new.yaml': changed, 'subjects.yaml': 'subjects: { paul: { roles: [manager] } }\n' })
  t.equal(await main([...args, '--format', 'json'], io), 1, io.err)
  t.equal(io.out, blockAfter('and nothing else:', 'json'))
})

t.test('the conditions example prints the text shown', async t => {
  const io = pageIo({
    'old.yaml': blockAfter('<!-- example: diff-cond-old', 'yaml'),
    'new.yaml': blockAfter('<!-- example: diff-cond-new', 'yaml'),
    'subjects.yaml': blockAfter('<!-- example: diff-cond-subjects', 'yaml')
  })
  t.equal(await main(args, io), 1, io.err)
  t.equal(io.out, blockAfter('<!-- example: diff-cond-text', 'text'))
})

t.test('the bad-input message shown is the one printed', async t => {
  const bad = files['old.yaml'].replace('deny: [delete] }', 'deny: [delete], scpoe: { edit: all } }')
  t.not(bad, files['old.yaml'])
  const io = pageIo({ ...files, 'bad.yaml': bad })
  t.equal(await main(['diff', 'old.yaml', 'bad.yaml'], io), 2)
  t.equal(io.err, blockAfter('`gatehouse test` prints them:', 'text'))
  t.equal(io.out, '')
})
