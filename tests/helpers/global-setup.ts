// Decides which databases the suite runs on. QSM_TEST_MYSQL_URL set (CI): MySQL must answer, or the
// run fails. Not set (a laptop): use a local MariaDB if one answers, otherwise say plainly that the
// MySQL suite was skipped.
import type { TestProject } from 'vitest/node'
import { createConnection } from 'mysql2/promise'

const LOCAL_DEFAULT = 'mysql://root@127.0.0.1:3306/test'

async function reachable(url: string): Promise<string | null> {
  try {
    const conn = await createConnection({ uri: url, connectTimeout: 2000 })
    const [rows] = await conn.query('select version() as v')
    await conn.end()
    return (rows as { v: string }[])[0]!.v
  } catch {
    return null
  }
}

export default async function setup(project: TestProject) {
  const required = process.env.QSM_TEST_MYSQL_URL
  let mysqlUrl: string | null = null
  let notice: string
  if (process.env.QSM_TEST_DATABASES === 'sqlite' && !required) {
    // npm run test:fast (vitest.fast.config.ts): a quick loop; npm test runs both databases.
    notice = 'Database suites: SQLite only (test:fast; npm test runs MySQL too)'
  } else if (required) {
    const version = await reachable(required)
    if (!version) throw new Error(`QSM_TEST_MYSQL_URL is set but MySQL does not answer at ${required.replace(/:[^:@/]*@/, ':***@')}`)
    mysqlUrl = required
    notice = `Database suites: SQLite and MySQL (${version})`
  } else {
    const version = await reachable(LOCAL_DEFAULT)
    if (version) {
      mysqlUrl = LOCAL_DEFAULT
      notice = `Database suites: SQLite and MySQL (${version}, found at 127.0.0.1:3306)`
    } else {
      notice = 'MySQL suite SKIPPED: no MariaDB/MySQL at 127.0.0.1:3306 and QSM_TEST_MYSQL_URL is not set. Only SQLite was tested.'
    }
  }
  project.provide('mysqlUrl', mysqlUrl)
  process.stdout.write(`\n${notice}\n\n`)
  return () => process.stdout.write(`\n${notice}\n`)
}

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string | null
  }
}
