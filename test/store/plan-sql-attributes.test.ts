/**
 * `planToSql`'s attribute leaves (conditions on data) against a real PostgreSQL table,
 * in both mappings: one column per attribute (text, double precision, boolean,
 * timestamptz or RFC 3339 text, text[]), as a caller's schema has them, and a jsonb
 * object of attributes, as the store keeps them. Every clause is run and its rows
 * compared with `matchesPlan` on the same data: missing attributes, `ne` on a missing
 * one, timestamps at other offsets, lists, code-point order of strings, and, in jsonb,
 * values of another type (stored before the policy declared the attribute's type): no
 * comparison, `in` or `contains` matches them, as no condition does; `attribute_exists`
 * (`has()`) sees them.
 */
import t from 'tap'
import type { AttributeType, AttributeValue, Filter, PlanResource, QueryPlan } from '../../src/engine/index.js'
import { matchesPlan } from '../../src/engine/index.js'
import type { PlanSql, PlanSqlMapping } from '../../src/store/plan-sql.js'
import { PlanSqlError, planToSql } from '../../src/store/plan-sql.js'
import { migratePostgres } from '../../src/store/connect.js'
import { createTestDatabase, postgresServer, testPool } from '../helpers/db.js'
import { Rng } from '../search/generator.js'

/** The attributes of the table, by type. */
const TYPES = { status: 'enum', title: 'string', amount: 'number', approved: 'boolean', due: 'timestamp', tags: 'list' } as const satisfies Record<string, AttributeType>
type Name = keyof typeof TYPES

interface Row {
  id: string
  attrs: Partial<Record<Name, AttributeValue>>
  /** jsonb only: values of another type, read as missing. */
  junk?: Record<string, unknown>
  /** jsonb only: the column's text, written as no JavaScript value is (`100.0`, a list at the top). */
  raw?: string
}

const ROWS: Row[] = [
  { id: 'i1', attrs: { status: 'draft', title: 'Pipes', amount: 100, approved: true, due: '2026-01-01T00:00:00Z', tags: ['a', 'b'] } },
  { id: 'i2', attrs: { status: 'sent', title: 'pipes', amount: 2500.5, approved: false, due: '2026-06-01T12:00:00+02:00', tags: [] } },
  { id: 'i3', attrs: {} },
  // The same instant as i1, written at another offset.
  { id: 'i4', attrs: { status: 'paid', title: 'Éclair', amount: -3, due: '2026-01-01T01:00:00+01:00', tags: ['b'] } },
  { id: 'i5', attrs: { status: 'locked', title: 'zinc', amount: 0, approved: false, due: '2025-12-31T23:59:59.999Z', tags: ['x y', "it's", 'a'] } },
  { id: 'i6', attrs: { title: "' OR 1=1 --", amount: 0.1 + 0.2, due: '2026-01-01T00:00:00.000001Z' }, junk: { status: 5, approved: 'true', tags: ['a', 1] } },
  { id: 'i7', attrs: { status: 'draft', amount: 1e21 }, junk: { title: ['Pipes'], due: 'not a date', approved: 1 } },
  { id: 'i8', attrs: { tags: ['b'] }, junk: { amount: '100', due: '2026-02-30T00:00:00Z', status: false } },
  // Containment (the jsonb form of eq, in and contains): 100.0 is 100; a list holding a
  // list does not hold its items; a list is not its item, a string not a one-item list.
  { id: 'i9', attrs: { amount: 100, title: 'Pipes' }, raw: '{"amount": 100.0, "title": "Pipes", "tags": [["a"], "c"], "status": ["draft"], "approved": [true]}' },
  { id: 'i10', attrs: {}, junk: { tags: 'b', title: { title: 'Pipes' } } },
  // Not an object: no attribute at all (the store never writes one; a caller's column may hold one).
  { id: 'i11', attrs: {}, raw: '["draft", "b", {"status": "draft"}]' }
]

const COLUMNS: PlanSqlMapping = {
  id: 'i.id',
  attributes: { status: 'i.status', title: 'i.title', amount: 'i.amount', approved: 'i.approved', due: 'i.due', tags: 'i.tags' }
}
const TEXT_TIMESTAMPS: PlanSqlMapping = { ...COLUMNS, attributes: { ...COLUMNS.attributes, due: 'i.due_text' } }
const JSONB: PlanSqlMapping = { id: 'i.id', attributes: Object.fromEntries(Object.keys(TYPES).map(name => [name, { jsonb: 'i.attrs' }])) }

const planResource = (row: Row): PlanResource => ({ id: row.id, relations: {}, attributes: row.attrs })
/** As the store holds it: values of another type are there, and only `attribute_exists` sees them. */
const storedResource = (row: Row): PlanResource => ({ id: row.id, relations: {}, attributes: JSON.parse(jsonbText(row)) as Record<string, AttributeValue> })
const jsonbText = (row: Row): string => row.raw ?? JSON.stringify({ ...row.junk, ...row.attrs })

const server = await postgresServer()

t.test('attribute filters on a real PostgreSQL table', { skip: server.skip }, async t => {
  const database = await createTestDatabase(await server.url())
  const pool = testPool(database.url, 2)
  t.teardown(async () => {
    await pool.end()
    await database.drop()
  })
  // The store's migration creates gh_timestamptz, which the jsonb reading of timestamps needs.
  await migratePostgres(pool)
  await pool.query(`
    create table invoices (company text not null, id text not null, status text, title text, amount double precision, approved boolean,
      due timestamptz, due_text text, tags text[], attrs jsonb, primary key (company, id));
  `)
  for (const company of ['acme', 'other']) {
    for (const row of ROWS) {
      const a = row.attrs
      await pool.query('insert into invoices values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
        company, row.id, a.status ?? null, a.title ?? null, a.amount ?? null, a.approved ?? null, a.due ?? null, a.due ?? null, a.tags ?? null,
        jsonbText(row)
      ])
    }
  }

  async function select (plan: QueryPlan, mapping: PlanSqlMapping): Promise<string[]> {
    const { where, params } = planToSql(plan, mapping, { startIndex: 2 })
    const result = await pool.query<{ id: string }>(`select i.id from invoices i where i.company = $1 and ${where} order by i.id`, ['acme', ...params])
    return result.rows.map(r => r.id)
  }
  const expected = (plan: QueryPlan, mapping?: PlanSqlMapping): string[] =>
    ROWS.filter(r => matchesPlan(plan, mapping === JSONB ? storedResource(r) : planResource(r))).map(r => r.id).sort()
  const conditional = (filter: Filter): QueryPlan => ({ kind: 'conditional', filter })
  const mappings: Array<[string, PlanSqlMapping]> = [['columns', COLUMNS], ['text timestamps', TEXT_TIMESTAMPS], ['jsonb', JSONB]]

  const cases: Array<[string, Filter, string[]]> = [
    ['enum eq', { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'draft' }, ['i1', 'i7']],
    ['enum ne: a missing status is not "not draft"', { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'ne', value: 'draft' }, ['i2', 'i4', 'i5']],
    ['not(eq) is the complement, missing included', { op: 'not', arg: { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'draft' } }, ['i2', 'i3', 'i4', 'i5', 'i6', 'i8', 'i9', 'i10', 'i11']],
    ['enum in', { op: 'attribute_in', attribute: 'status', type: 'enum', values: ['sent', 'paid', 'void'] }, ['i2', 'i4']],
    ['strings are case-sensitive', { op: 'attribute_compare', attribute: 'title', type: 'string', cmp: 'eq', value: 'pipes' }, ['i2']],
    ['strings order by code point, not by the collation', { op: 'attribute_compare', attribute: 'title', type: 'string', cmp: 'lt', value: 'a' }, ['i1', 'i6', 'i9']],
    ['string ge', { op: 'attribute_compare', attribute: 'title', type: 'string', cmp: 'ge', value: 'pipes' }, ['i2', 'i4', 'i5']],
    ['a value that looks like SQL stays a value', { op: 'attribute_in', attribute: 'title', type: 'string', values: ["' OR 1=1 --"] }, ['i6']],
    ['number le', { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'le', value: 100 }, ['i1', 'i4', 'i5', 'i6', 'i9']],
    ['number gt a fraction', { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'gt', value: 0.3 }, ['i1', 'i2', 'i6', 'i7', 'i9']],
    ['number eq as JavaScript reads it (0.1 + 0.2 is not 0.3)', { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'eq', value: 0.30000000000000004 }, ['i6']],
    ['number ne', { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'ne', value: 0 }, ['i1', 'i2', 'i4', 'i6', 'i7', 'i9']],
    ['number in', { op: 'attribute_in', attribute: 'amount', type: 'number', values: [0, 1e21, -3] }, ['i4', 'i5', 'i7']],
    ['boolean eq true', { op: 'attribute_compare', attribute: 'approved', type: 'boolean', cmp: 'eq', value: true }, ['i1']],
    ['boolean ne true: missing is neither', { op: 'attribute_compare', attribute: 'approved', type: 'boolean', cmp: 'ne', value: true }, ['i2', 'i5']],
    ['timestamps compare as instants, whatever the offset', { op: 'attribute_compare', attribute: 'due', type: 'timestamp', cmp: 'eq', value: '2026-01-01T00:00:00Z' }, ['i1', 'i4']],
    ['timestamp lt, to the microsecond', { op: 'attribute_compare', attribute: 'due', type: 'timestamp', cmp: 'lt', value: '2026-01-01T00:00:00.000001Z' }, ['i1', 'i4', 'i5']],
    ['timestamp le, to the microsecond', { op: 'attribute_compare', attribute: 'due', type: 'timestamp', cmp: 'le', value: '2026-01-01T00:00:00.000001Z' }, ['i1', 'i4', 'i5', 'i6']],
    ['timestamp ge at another offset', { op: 'attribute_compare', attribute: 'due', type: 'timestamp', cmp: 'ge', value: '2026-06-01T10:00:00Z' }, ['i2']],
    ['timestamp in', { op: 'attribute_in', attribute: 'due', type: 'timestamp', values: ['2026-01-01T02:00:00+02:00', '2026-06-01T10:00:00Z'] }, ['i1', 'i2', 'i4']],
    ['a list contains', { op: 'attribute_contains', attribute: 'tags', value: 'b' }, ['i1', 'i4', 'i8']],
    ['a list contains a value with a quote', { op: 'attribute_contains', attribute: 'tags', value: "it's" }, ['i5']],
    ['not contains: missing lists and empty lists', { op: 'not', arg: { op: 'attribute_contains', attribute: 'tags', value: 'a' } }, ['i2', 'i3', 'i4', 'i6', 'i7', 'i8', 'i9', 'i10', 'i11']],
    ['exists', { op: 'attribute_exists', attribute: 'approved' }, ['i1', 'i2', 'i5']],
    ['an empty list exists', { op: 'attribute_exists', attribute: 'tags' }, ['i1', 'i2', 'i4', 'i5', 'i8']],
    ['not exists', { op: 'not', arg: { op: 'attribute_exists', attribute: 'status' } }, ['i3', 'i6', 'i8', 'i9', 'i10', 'i11']],
    ['and, or, not together', {
      op: 'or',
      args: [
        { op: 'and', args: [{ op: 'attribute_exists', attribute: 'status' }, { op: 'not', arg: { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'locked' } }, { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'le', value: 100 }] },
        { op: 'id_in', values: ['i3'] }
      ]
    }, ['i1', 'i3', 'i4']]
  ]
  for (const [name, filter, want] of cases) {
    t.test(name, async t => {
      const plan = conditional(filter)
      t.same(expected(plan), [...want].sort(), 'as matchesPlan reads the plan')
      for (const [mappingName, mapping] of mappings) t.same(await select(plan, mapping), expected(plan, mapping), `rows selected (${mappingName})`)
    })
  }

  t.test('gh_timestamptz reads what the engine reads as a timestamp, and nothing else', async t => {
    const cases: Array<[string, string | null]> = [
      ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000000Z'],
      ['2026-01-01t01:30:00.5+01:30', '2026-01-01T00:00:00.500000Z'],
      ['2026-01-01T00:00:00.123456-23:59', '2026-01-01T23:59:00.123456Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000000Z'],
      ['2026-02-29T00:00:00Z', null],
      ['2026-02-30T00:00:00Z', null],
      ['2026-13-01T00:00:00Z', null],
      ['2026-01-01T24:00:00Z', null],
      ['2026-01-01T23:59:60Z', null],
      ['2026-01-01T00:00:00.1234567Z', null],
      ['2026-01-01T00:00:00', null],
      ['0001-01-01T00:00:00+01:00', null],
      ['now', null],
      ['', null]
    ]
    for (const [text, want] of cases) {
      const { rows } = await pool.query<{ t: string | null }>('select to_char(gh_timestamptz($1) at time zone \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') as t', [text])
      t.equal(rows[0]?.t ?? null, want, JSON.stringify(text))
    }
  })

  t.test('every value is a parameter, attribute names in jsonb too', async t => {
    const plan = conditional({ op: 'and', args: [{ op: 'attribute_compare', attribute: "x'y", type: 'string', cmp: 'eq', value: 'v' }, { op: 'attribute_exists', attribute: "x'y" }] })
    const { where, params } = planToSql(plan, { id: 'i.id', attributes: { "x'y": { jsonb: 'i.attrs' } } })
    t.notMatch(where, /'v'|x'y/)
    t.same(params.filter(p => p === "x'y").length > 0 && params.includes('{"x\'y":"v"}'), true)
    t.same(await select(plan, { id: 'i.id', attributes: { "x'y": { jsonb: 'i.attrs' } } }), [])
    t.equal(planToSql(conditional({ op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'lt', value: 5 }), COLUMNS).where, '("i"."amount" < $1::numeric)')
  })

  t.test('in jsonb, equality, in and contains are containment, which a GIN index serves', async t => {
    const sqlOf = (filter: Filter): PlanSql => planToSql(conditional(filter), JSONB)
    t.same(sqlOf({ op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'eq', value: 'draft' }), { where: '("i"."attrs" @> $1::jsonb)', params: ['{"status":"draft"}'] })
    t.same(sqlOf({ op: 'attribute_compare', attribute: 'approved', type: 'boolean', cmp: 'eq', value: false }).params, ['{"approved":false}'])
    t.same(sqlOf({ op: 'attribute_in', attribute: 'amount', type: 'number', values: [0, 2500.5] }), { where: '("i"."attrs" @> ANY($1::jsonb[]))', params: [['{"amount":0}', '{"amount":2500.5}']] })
    t.same(sqlOf({ op: 'attribute_contains', attribute: 'tags', value: 'a' }).params, ['{"tags":["a"]}'])
    // Not containment: ne and ranges, timestamps (equal as instants), exists.
    for (const filter of [
      { op: 'attribute_compare', attribute: 'status', type: 'enum', cmp: 'ne', value: 'draft' },
      { op: 'attribute_compare', attribute: 'amount', type: 'number', cmp: 'ge', value: 1 },
      { op: 'attribute_compare', attribute: 'due', type: 'timestamp', cmp: 'eq', value: '2026-01-01T00:00:00Z' },
      { op: 'attribute_in', attribute: 'due', type: 'timestamp', values: ['2026-01-01T00:00:00Z'] },
      { op: 'attribute_exists', attribute: 'status' }
    ] as Filter[]) t.notMatch(sqlOf(filter).where, /@>/, JSON.stringify(filter))
  })

  t.test('in jsonb, a name or string no jsonb can hold matches nothing, and does not fail', async t => {
    const cases: Array<[string, Filter, string[]]> = [
      ['a lone surrogate', { op: 'attribute_compare', attribute: 'title', type: 'string', cmp: 'eq', value: 'Pipes\ud800' }, []],
      ['a NUL', { op: 'attribute_compare', attribute: 'title', type: 'string', cmp: 'eq', value: 'Pipes\u0000' }, []],
      ['in: the others still count', { op: 'attribute_in', attribute: 'title', type: 'string', values: ['\udc00', 'zinc'] }, ['i5']],
      ['contains', { op: 'attribute_contains', attribute: 'tags', value: 'a\u0000' }, []],
      ['not(eq): every row', { op: 'not', arg: { op: 'attribute_compare', attribute: 'title', type: 'string', cmp: 'eq', value: '\ud800' } }, ROWS.map(r => r.id)],
      ['a name', { op: 'attribute_compare', attribute: 'x\ud800', type: 'string', cmp: 'eq', value: 'v' }, []]
    ]
    for (const [name, filter, want] of cases) {
      const plan = conditional(filter)
      const mapping: PlanSqlMapping = { id: 'i.id', attributes: { ...JSONB.attributes, 'x\ud800': { jsonb: 'i.attrs' } } }
      t.same(await select(plan, mapping), [...want].sort(), name)
      t.same(expected(plan, JSONB), [...want].sort(), `${name}, as matchesPlan reads it`)
    }
  })

  t.test('a caller\'s list column is tested with @>, as text[] or varchar[]', async t => {
    const plan = conditional({ op: 'attribute_contains', attribute: 'tags', value: 'b' })
    const { where, params } = planToSql(plan, { id: 'v.id', attributes: { tags: 'v.tags' } })
    t.equal(where, '("v"."tags"::text[] @> ARRAY[$1::text])')
    for (const type of ['text[]', 'varchar[]']) {
      const { rows } = await pool.query<{ id: string }>(
        `select v.id from (values ('x', array['a', 'b']::${type}), ('y', array['a']::${type}), ('z', null::${type})) as v (id, tags) where ${where} order by v.id`, params)
      t.same(rows.map(r => r.id), ['x'], type)
    }
  })

  t.test('a plan naming an attribute the mapping lacks, or a bad mapping, is refused', async t => {
    t.throws(() => planToSql(conditional({ op: 'attribute_exists', attribute: 'total' }), COLUMNS), { code: 'unmapped_attribute', message: /`total`/ })
    t.throws(() => planToSql({ kind: 'always' }, { id: 'i.id', attributes: { a: 'i.a; drop table invoices' } }), { code: 'invalid_mapping' })
    t.throws(() => planToSql({ kind: 'always' }, { id: 'i.id', attributes: { a: { jsonb: 'a.b.c.d' } } }), { code: 'invalid_mapping' })
    t.throws(() => planToSql({ kind: 'always' }, { id: 'i.id', attributes: { a: {} as unknown as string } }), { code: 'invalid_mapping' })
  })

  t.test('a malformed attribute leaf is refused with its place named', async t => {
    const bad: Array<[string, unknown]> = [
      ['an unknown type', { op: 'attribute_compare', attribute: 'a', type: 'money', cmp: 'eq', value: 1 }],
      ['an unknown comparison', { op: 'attribute_compare', attribute: 'a', type: 'number', cmp: 'like', value: 1 }],
      ['a number that is not finite', { op: 'attribute_compare', attribute: 'a', type: 'number', cmp: 'lt', value: null }],
      ['a value of another type', { op: 'attribute_compare', attribute: 'a', type: 'boolean', cmp: 'eq', value: 'true' }],
      ['a timestamp that is not RFC 3339', { op: 'attribute_compare', attribute: 'a', type: 'timestamp', cmp: 'lt', value: 'now' }],
      ['an impossible date', { op: 'attribute_in', attribute: 'a', type: 'timestamp', values: ['2026-02-30T00:00:00Z'] }],
      ['a list compared', { op: 'attribute_compare', attribute: 'a', type: 'list', cmp: 'eq', value: 'x' }],
      ['an empty in', { op: 'attribute_in', attribute: 'a', type: 'string', values: [] }],
      ['in on booleans', { op: 'attribute_in', attribute: 'a', type: 'boolean', values: [true] }],
      ['contains a number', { op: 'attribute_contains', attribute: 'a', value: 1 }],
      ['exists without a name', { op: 'attribute_exists', attribute: '' }]
    ]
    for (const [name, filter] of bad) {
      const err = (() => { try { planToSql({ kind: 'conditional', filter } as QueryPlan, JSONB) } catch (e) { return e } })()
      t.type(err, PlanSqlError, name)
      t.match(err, { code: 'invalid_plan', message: /`\/filter/ }, name)
    }
  })

  t.test('random attribute filters select exactly what matchesPlan says', async t => {
    const seed = process.env.GATEHOUSE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.GATEHOUSE_SEED)
    const rng = new Rng(seed)
    const samples: Record<Name, Array<string | number | boolean>> = {
      status: ['draft', 'sent', 'paid', 'locked', 'void'],
      title: ['Pipes', 'pipes', 'a', 'Éclair', 'zinc', "' OR 1=1 --", ''],
      amount: [0, -3, 100, 2500.5, 0.3, 1e21, 0.30000000000000004],
      approved: [true, false],
      due: ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00+01:00', '2025-12-31T23:59:59.999Z', '2026-06-01T10:00:00Z', '2026-01-01T00:00:00.000001Z', '2026-01-02T18:00:00+18:00'],
      tags: ['a', 'b', 'x y', "it's", 'c']
    }
    const names = Object.keys(TYPES) as Name[]
    const leaf = (): Filter => {
      const name = rng.pick(names)
      const type = TYPES[name]
      const pick = (): string | number | boolean => rng.pick(samples[name])
      const kind = rng.int(4)
      if (kind === 0) return { op: 'attribute_exists', attribute: name }
      if (type === 'list') return { op: 'attribute_contains', attribute: name, value: pick() as string }
      if (kind === 1 && type !== 'boolean') {
        const values = [...new Set(Array.from({ length: rng.range(1, 3) }, pick))] as Array<string | number>
        return { op: 'attribute_in', attribute: name, type, values }
      }
      return { op: 'attribute_compare', attribute: name, type, cmp: rng.pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const), value: pick() }
    }
    const filter = (depth: number): Filter => {
      if (depth === 0 || rng.chance(0.3)) return leaf()
      const kind = rng.int(3)
      if (kind === 0) return { op: 'not', arg: filter(depth - 1) }
      return { op: kind === 1 ? 'and' : 'or', args: Array.from({ length: rng.range(2, 3) }, () => filter(depth - 1)) }
    }
    const failures: string[] = []
    for (let i = 0; i < 200; i++) {
      const plan = conditional(filter(3))
      for (const [mappingName, mapping] of mappings) {
        const want = expected(plan, mapping)
        const got = await select(plan, mapping)
        if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`seed ${seed}, ${mappingName}: ${JSON.stringify(plan)} selected ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
      }
    }
    t.same(failures.slice(0, 3), [], `200 random filters agree in every mapping (seed ${seed}, replay with GATEHOUSE_SEED)`)
  })
})
