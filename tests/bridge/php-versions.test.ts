// What the bridge claims about PHP versions, checked: PHP 8.2 (Debian 12, what CI has) runs it with
// every warning and deprecation shown and prints none; and its tokens use nothing that PHP 8.0 to
// 8.5 deprecated or removed (PHP 8.5 itself is not installable here, so this is a static check by token).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { BRIDGE, startBridgeStack, type BridgeStack } from './support.js'

// Deprecated or removed from PHP 8.0 to 8.5, by the deprecation RFCs (what a file like this could use).
const DEPRECATED_CALLS = [
  'curl_close', 'curl_share_close', 'finfo_close', 'xml_parser_free', 'imagedestroy', 'socket_set_timeout', 'mhash', 'mhash_count',
  'mhash_get_block_size', 'mhash_get_hash_name', 'mhash_keygen_s2k', 'utf8_encode', 'utf8_decode', 'strftime', 'gmstrftime',
  'date_sunrise', 'date_sunset', 'mysqli_ping', 'mysqli_kill', 'lcg_value', 'odbc_result_all', 'create_function', 'each',
  'money_format', 'get_magic_quotes_gpc', 'intlcal_set', 'libxml_disable_entity_loader', 'pg_errormessage', 'ldap_connect_wallet',
]
const DEPRECATED_VARIABLES = ['$http_response_header', '$php_errormsg']
const DEPRECATED_CASTS = ['(boolean)', '(integer)', '(double)', '(binary)', '(real)', '(unset)']

function tokens(): { name: string; text: string }[] {
  const script = 'foreach (token_get_all(file_get_contents($argv[1])) as $t) { if (is_array($t)) { echo token_name($t[0]), "\\t", json_encode($t[1]), "\\n"; } }'
  const res = spawnSync('php', ['-r', script, BRIDGE], { encoding: 'utf8' })
  expect(res.status, res.stderr).toBe(0)
  return res.stdout.trim().split('\n').map((l) => ({ name: l.split('\t')[0]!, text: JSON.parse(l.split('\t')[1]!) as string }))
}

describe('the PHP versions the bridge claims', () => {
  let stack: BridgeStack
  beforeAll(async () => {
    stack = await startBridgeStack()
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('has valid syntax for the PHP that runs the tests', () => {
    const lint = spawnSync('php', ['-l', BRIDGE], { encoding: 'utf8' })
    expect(lint.stdout).toContain('No syntax errors')
  })

  it('uses no function, variable or cast that PHP 8.0 to 8.5 deprecated or removed, and no backtick shell', () => {
    const all = tokens()
    const calls = all.filter((t) => t.name === 'T_STRING').map((t) => t.text.toLowerCase())
    expect(calls.filter((c) => DEPRECATED_CALLS.includes(c))).toEqual([])
    expect(all.filter((t) => t.name === 'T_VARIABLE' && DEPRECATED_VARIABLES.includes(t.text)).map((t) => t.text)).toEqual([])
    expect(all.filter((t) => /_CAST$/.test(t.name) && DEPRECATED_CASTS.includes(t.text.replace(/\s/g, '').toLowerCase())).map((t) => t.text)).toEqual([])
    expect(all.some((t) => t.text === '`')).toBe(false)
  })

  it('runs with every error, warning and deprecation shown and prints none, over curl and over streams', () => {
    for (const transport of ['curl', 'streams']) {
      const spool = join(stack.work, `spool-${transport}`)
      mkdirSync(spool, { mode: 0o700 })
      const env = { QSM_SPOOL_DIR: spool, QSM_BRIDGE_TRANSPORT: transport }
      const up = stack.emit('usr_7', 'email.received', { env })
      expect(up.ok, transport).toEqual([true])
      const down = stack.emit('usr_7', 'email.received', { env: { ...env, QSM_WEBHOOKS_URL: 'http://127.0.0.1:9' } })
      expect(down.ok, transport).toEqual([false])
      const flush = stack.php([BRIDGE, 'flush'], { env })
      expect(flush.stdout, transport).toContain('sent 1')
      for (const run of [up, down, flush]) expect(run.stderr, transport).not.toMatch(/Deprecated|Warning|Notice|Fatal/i)
    }
  })
})
