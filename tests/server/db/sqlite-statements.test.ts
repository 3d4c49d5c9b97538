// The SQLite statement cache: Kysely prepares every query it runs; the cache compiles each text once.
import { describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { MAX_PLACEHOLDERS_CACHED, withStatementCache } from '../../../server/db/sqlite-statements.js'

const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')

function counted() {
  const database = new Driver(':memory:')
  database.exec('create table t (x integer)')
  let prepares = 0
  const prepare = database.prepare.bind(database)
  database.prepare = ((sql: string) => { prepares += 1; return prepare(sql) }) as typeof database.prepare
  return { database, prepares: () => prepares }
}

describe('sqlite statement cache', () => {
  it('compiles a statement once and runs it again from the cache', () => {
    const { database, prepares } = counted()
    const cached = withStatementCache(database)
    for (let i = 0; i < 10; i++) cached.prepare('insert into t (x) values (?)').run(i)
    expect(prepares()).toBe(1)
    expect(cached.prepare('select count(*) as n from t').get()).toEqual({ n: 10 })
    cached.close()
  })

  it('keeps at most the bound, dropping the least recently used text', () => {
    const { database, prepares } = counted()
    const cached = withStatementCache(database, { statements: 2 })
    cached.prepare('select 1')
    cached.prepare('select 2')
    cached.prepare('select 1') // used again: now the newest
    cached.prepare('select 3') // drops "select 2"
    expect(prepares()).toBe(3)
    cached.prepare('select 1')
    expect(prepares()).toBe(3)
    cached.prepare('select 2')
    expect(prepares()).toBe(4)
    cached.close()
  })

  it('keeps statements up to a total of placeholders, dropping the least recently used', () => {
    const { database, prepares } = counted()
    const cached = withStatementCache(database, { placeholders: 70 })
    const anyOf = (n: number) => `select x from t where ${Array(n).fill('x = ?').join(' or ')}`
    cached.prepare(anyOf(10)).all(Array(10).fill(1)) // 26: 10, one for the statement, 15 for its SELECT
    cached.prepare(anyOf(11)).all(Array(11).fill(1)) // 27: 53 kept
    cached.prepare(anyOf(10)) // used again: now the newest
    cached.prepare(anyOf(2)) // 18 more would make 71: drops the 11-term one
    expect(prepares()).toBe(3)
    cached.prepare(anyOf(10))
    cached.prepare(anyOf(2))
    expect(prepares()).toBe(3)
    cached.prepare(anyOf(11))
    expect(prepares()).toBe(4)
    cached.close()
  })

  it('compiles one text for in lists of 9 to 16 values, and each still reads and writes only its own rows', () => {
    const { database, prepares } = counted()
    const cached = withStatementCache(database)
    database.exec(`insert into t (x) values ${Array.from({ length: 40 }, (_, i) => `(${i})`).join(', ')}`)
    const inList = (n: number) => `select x from t where x in (${Array(n).fill('?').join(', ')}) and x < ? order by x`
    for (let n = 9; n <= 16; n++) {
      const ids = Array.from({ length: n }, (_, i) => i * 2)
      expect(cached.prepare(inList(n)).all([...ids, 100])).toEqual(ids.map((x) => ({ x })))
      // The parameter after the list keeps its place: only ids under 10 this time.
      expect(cached.prepare(inList(n)).all([...ids, 10])).toEqual([0, 2, 4, 6, 8].map((x) => ({ x })))
    }
    expect(prepares()).toBe(1)
    const update = (n: number) => `update t set x = x + 1000 where x in (${Array(n).fill('?').join(', ')})`
    expect(cached.prepare(update(9)).run(Array.from({ length: 9 }, (_, i) => i + 1)).changes).toBe(9)
    expect(cached.prepare(update(12)).run(Array.from({ length: 12 }, (_, i) => i + 20)).changes).toBe(12)
    expect(prepares()).toBe(2)
    expect(cached.prepare('select count(*) as n from t where x >= 1000').get()).toEqual({ n: 21 })
    cached.close()
  })

  it('runs a text as written when its parameters do not match its placeholders (a ? inside a literal)', () => {
    const { database } = counted()
    const cached = withStatementCache(database)
    database.exec('insert into t (x) values (1), (2), (3)')
    const text = `select 'why?' as q, x from t where x in (${Array(9).fill('?').join(', ')}) order by x`
    expect(cached.prepare(text).all([1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([1, 2, 3].map((x) => ({ q: 'why?', x })))
    cached.close()
  })

  it('compiles a statement with thousands of placeholders for its run and does not keep it', () => {
    const { database, prepares } = counted()
    const cached = withStatementCache(database)
    const rows = MAX_PLACEHOLDERS_CACHED
    const insert = `insert into t (x) values ${Array(rows).fill('(?)').join(', ')}`
    cached.prepare(insert).run(Array.from({ length: rows }, (_, i) => i))
    cached.prepare(insert).run(Array.from({ length: rows }, (_, i) => i))
    expect(prepares()).toBe(2)
    expect(cached.prepare('select count(*) as n from t').get()).toEqual({ n: 2 * rows })
    cached.close()
  })

  it('weighs each SELECT as compiled code: a UNION of a hundred probes with few placeholders is not kept', () => {
    // ~260 KB of SQLite's memory each (server/db/due-heads.ts); counted by placeholders alone, the
    // cache kept dozens of them with 1,000 users waiting.
    const { database, prepares } = counted()
    const cached = withStatementCache(database)
    const probe = (n: number) => `select * from (select x from t where x = ? limit 1) as p${n}`
    const union = Array.from({ length: 100 }, (_, n) => probe(n)).join(' union all ')
    for (let i = 0; i < 2; i++) cached.prepare(union).all(Array(100).fill(1))
    expect(prepares()).toBe(2)
    const small = Array.from({ length: 8 }, (_, n) => probe(n)).join(' union all ')
    for (let i = 0; i < 2; i++) cached.prepare(small).all(Array(8).fill(1))
    expect(prepares()).toBe(3)
    cached.close()
  })

  it('prepares a fresh statement while the cached one is still being read', () => {
    const { database, prepares } = counted()
    const cached = withStatementCache(database)
    database.exec('insert into t (x) values (1), (2)')
    const first = cached.prepare('select x from t order by x')
    const rows = first.iterate()
    expect(rows.next().value).toEqual({ x: 1 })
    const second = cached.prepare('select x from t order by x')
    expect(second).not.toBe(first)
    expect(second.all()).toEqual([{ x: 1 }, { x: 2 }])
    expect(prepares()).toBe(2)
    rows.return?.()
    cached.close()
  })
})
