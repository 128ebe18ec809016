/**
 * src/service/policy-tests/source.ts and src/service/yaml-parse.ts: the one YAML parser of
 * every body and file. Linear (duplicate keys are found with a set per map, not by
 * comparing each key with every earlier one), bounded by `YAML_LIMITS` before the work is
 * done, and every problem is a syntax problem at a line and column, never a throw.
 */
import t from 'tap'
import { parseYamlText } from '../../src/service/bundle-text.js'
import { ServiceError } from '../../src/service/errors.js'
import { parseSource, YAML_LIMITS } from '../../src/service/policy-tests/source.js'
import type { ParseResult } from '../../src/service/policy-tests/source.js'
import { INLINE_PARSE_CHARS, parseSourceOffLoop, parseYamlOffLoop } from '../../src/service/yaml-parse.js'

// This file tests the yaml worker's own TypeScript entry, started under the tests' loader as
// a run from the sources starts it, not the bundle the rest of the run uses (.taprc).
delete process.env.GATEHOUSE_WORKER_DIR

function problemOf (text: string): { code: string, message: string, line: number, column: number } {
  const parsed = parseSource(text)
  if (parsed.ok) throw new Error('the text parsed')
  const first = parsed.problems[0]
  if (first === undefined) throw new Error('no problem')
  return { code: first.code, message: first.message, ...first.position }
}

function keys (n: number, indent = '  '): string {
  return Array.from({ length: n }, (_, i) => `${indent}k${i}: ${i}`).join('\n')
}

t.test('duplicate keys are refused at the second key, in any map, in linear time', async t => {
  t.match(problemOf('version: 1\nmodules: {}\nroles: {}\nroles: {}\n'), { code: 'duplicate_key', message: 'map keys must be unique', line: 4, column: 1 })
  t.match(problemOf('a:\n  b: 1\n  c: 2\n  b: 3\n'), { code: 'duplicate_key', line: 4, column: 3 })
  t.match(problemOf('a: [{ x: 1, x: 2 }]\n'), { code: 'duplicate_key', line: 1, column: 13 })
  t.match(problemOf('1: a\n"1": b\n'), { code: 'duplicate_key', line: 2, column: 1 }, 'two keys that become the same property')
  t.match(problemOf('{"a": 1, "a": 2}'), { code: 'duplicate_key', line: 1, column: 10 }, 'JSON too')
  t.equal(parseSource('a: 1\nb: { a: 2 }\n').ok, true, 'the same key in two maps is no duplicate')

  // 9,000 keys: the quadratic check compared about 40 million pairs.
  const text = `map:\n${keys(9_000)}\n  k4500: again\n`
  const start = performance.now()
  t.match(problemOf(text), { code: 'duplicate_key', line: 9002, column: 3 })
  t.comment(`9,000 keys and a duplicate: ${Math.round(performance.now() - start)} ms`)
})

t.test('each limit is refused with its code, at the place it was crossed', async t => {
  t.match(problemOf(`map:\n${keys(YAML_LIMITS.keys + 1)}\n`), { code: 'too_many_keys', message: `a map holds more than ${YAML_LIMITS.keys} keys`, line: 2, column: 3 })
  t.equal(parseSource(`map:\n${keys(YAML_LIMITS.keys)}\n`).ok, true, 'a map at the limit is read')

  const items = Array.from({ length: YAML_LIMITS.nodes }, () => '1').join(',')
  t.match(problemOf(`[${items}]`), { code: 'too_many_nodes', message: `the text holds more than ${YAML_LIMITS.nodes} yaml nodes`, line: 1 })

  t.match(problemOf('#\n'.repeat(YAML_LIMITS.tokens)), { code: 'too_many_tokens', message: `the text holds more than ${YAML_LIMITS.tokens} yaml tokens` })

  const depth = YAML_LIMITS.depth
  t.equal(parseSource(`${'['.repeat(depth)}${']'.repeat(depth)}`).ok, true, `${depth} nested flow lists are read`)
  t.equal(parseSource(`${'- '.repeat(depth)}x`).ok, true, `${depth} nested block lists are read`)
  t.equal(parseSource(Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n').ok, true, `${depth} nested block maps are read`)
  t.match(problemOf(`${'['.repeat(depth + 1)}${']'.repeat(depth + 1)}`), { code: 'too_deep', message: `maps and lists are nested more than ${depth} levels deep`, line: 1 })
  t.match(problemOf(Array.from({ length: depth + 1 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n'), { code: 'too_deep', line: depth + 1 })
  // The yaml library exhausts the stack (or, at 20,000 levels, the heap: the process dies) on such texts.
  t.match(problemOf('['.repeat(200_000)), { code: 'too_deep', line: 1 }, 'a deep flow text is cut short')
  t.match(problemOf(`${'- '.repeat(20_000)}x`), { code: 'too_deep', line: 1 }, 'a deep block text is cut short')
})

t.test('aliases: unresolved, circular and excessive ones are problems, at the alias', async t => {
  t.match(problemOf('a: 1\nb: *x\n'), { code: 'unresolved_alias', message: 'unresolved alias `*x`: no anchor `&x` before it', line: 2, column: 4 })
  t.match(problemOf('b: *x\na: &x 1\n'), { code: 'unresolved_alias', line: 1, column: 4 }, 'an anchor after its alias')
  t.match(problemOf('a: &a [1, *a]\n'), { code: 'circular_alias', line: 1, column: 11 })
  const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${Array(10).fill('*a').join(', ')}]\nc: &c [${Array(10).fill('*b').join(', ')}]\nd: [${Array(10).fill('*c').join(', ')}]\n`
  t.match(problemOf(bomb), { code: 'excessive_aliases', message: /^excessive alias count/ })
  const ok = parseSource('a: &a { x: 1 }\nb: *a\n')
  t.same(ok.ok && ok.source.value, { a: { x: 1 }, b: { x: 1 } }, 'an alias of an earlier anchor is its value')
})

t.test('parseYamlText: the same parser, as ServiceError invalid_yaml naming line and column', async t => {
  for (const [text, code] of [['a: *x\n', 'unresolved_alias'], ['a: 1\na: 2\n', 'duplicate_key'], ['[a, b\n', 'missing_char']] as const) {
    const err = t.throws(() => parseYamlText(text)) as unknown
    t.ok(err instanceof ServiceError, `${code}: a ServiceError`)
    if (!(err instanceof ServiceError)) continue
    t.equal(err.code, 'invalid_yaml')
    t.match(err.message, /^invalid yaml at line \d+, column \d+: /)
    t.match(err.details, [{ in: 'body', path: '', code, line: Number, col: Number }])
  }
  t.same(parseYamlText('\uFEFFa: [1, 2]\n'), { a: [1, 2] })
})

t.test('locate: where a part of the value was written', async t => {
  const parsed = parseSource('a:\n  b: 1\n  c: [1, 2]\n  d: { e: *x }\n'.replace('*x', 'x'))
  t.ok(parsed.ok)
  if (!parsed.ok) return
  const { locate } = parsed.source
  t.same(locate('/a/b'), { line: 2, column: 6 }, 'a scalar value where it is written')
  t.same(locate('/a/b', 'key'), { line: 2, column: 3 }, 'or its key')
  t.same(locate('/a/c'), { line: 3, column: 3 }, 'a list entry at its key')
  t.same(locate('/a/c/1'), { line: 3, column: 10 })
  t.same(locate('/a/d/e'), { line: 4, column: 11 })
  t.same(locate('/a/zz'), { line: 1, column: 1 }, 'past what the text holds: the deepest part that exists')
  t.same(locate(''), { line: 1, column: 1 })
})

t.test('off the loop: large texts give exactly what parseSource gives', async t => {
  const same = async (text: string): Promise<void> => {
    const here = parseSource(text)
    const there: ParseResult = await parseSourceOffLoop(text)
    t.equal(there.ok, here.ok, `ok ${String(here.ok)}`)
    if (here.ok && there.ok) {
      t.same(there.source.value, here.source.value, 'the same value')
      for (const pointer of ['/map/k0', '/map/k1999', '/list/1', '/nan', '/nowhere']) {
        t.same(there.source.locate(pointer), here.source.locate(pointer), `the same place for ${pointer}`)
      }
    } else if (!here.ok && !there.ok) {
      t.same(there.problems, here.problems, 'the same problems')
    }
  }
  const large = `map:\n${keys(2_000)}\nlist: [a, b]\n`
  t.ok(large.length > INLINE_PARSE_CHARS, 'the text is large enough for the worker')
  await same(large)
  await same(`${large}nan: .nan\nneg: -0\n`)
  t.ok(Number.isNaN((await parseYamlOffLoop(`${large}nan: .nan\n`) as { nan: number }).nan), '.nan survives the trip: JSON would make it null')
  await same(`${large}map: again\n`)
  await same(`${large}x: *nope\n`)
  await t.rejects(parseYamlOffLoop(`${large}x: *nope\n`), { code: 'invalid_yaml', details: [{ code: 'unresolved_alias', line: 2003, col: 4 }] })
  await same('small: 1\n')
})
