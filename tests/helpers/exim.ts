// A real Debian exim4 on a loopback port, with its own config, spool and log in a temporary folder
// (the system's exim is not touched), delivering every message for example.test to one mbox file.
// What cPanel hosts run as their MTA: the alert e-mail test talks SMTP to it and reads the mailbox.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, mkdirSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort } from '../server/delivery/helpers.js'

export const EXIM = '/usr/sbin/exim4'
export const hasExim = () => existsSync(EXIM)

export interface Exim {
  port: number
  /** The mbox file's text ('' until the first delivery). */
  mailbox(): string
  /** Resolves with the mailbox once it holds `count` messages. */
  waitForMessages(count: number, timeoutMs?: number): Promise<string>
  close(): Promise<void>
}

function config(dir: string, port: number): string {
  return `primary_hostname = qsm-test.invalid
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
daemon_smtp_ports = ${port}
local_interfaces = 127.0.0.1
exim_user = root
exim_group = root
never_users =
host_lookup =
tls_advertise_hosts =
keep_environment =
domainlist local_domains = example.test
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  accept domains = +local_domains
  deny message = relay not permitted
begin routers
local_user:
  driver = accept
  domains = +local_domains
  transport = mailbox
begin transports
mailbox:
  driver = appendfile
  file = ${dir}/mail/mbox
  user = Debian-exim
  mode = 0644
  envelope_to_add
  return_path_add
begin retry
* * F,1h,1m
`
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })

export async function startExim(): Promise<Exim> {
  const dir = mkdtempSync(join(tmpdir(), 'qsm-exim-'))
  for (const sub of ['spool', 'log', 'mail']) mkdirSync(join(dir, sub))
  // exim delivers as Debian-exim: it must reach the mail folder (mkdtemp makes the parent 0700).
  chmodSync(dir, 0o755)
  chmodSync(join(dir, 'mail'), 0o777)
  const port = await closedPort()
  writeFileSync(join(dir, 'exim.conf'), config(dir, port))
  const child: ChildProcess = spawn(EXIM, ['-C', join(dir, 'exim.conf'), '-bdf'], { stdio: 'ignore' })
  const deadline = Date.now() + 10_000
  while (!(await portOpen(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`exim did not start: ${readLog(dir)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const mbox = join(dir, 'mail', 'mbox')
  const mailbox = () => (existsSync(mbox) ? readFileSync(mbox, 'utf8') : '')
  return {
    port,
    mailbox,
    async waitForMessages(count, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const text = mailbox()
        if ((text.match(/^From /gm) ?? []).length >= count) return text
        if (Date.now() > end) throw new Error(`mailbox has ${(text.match(/^From /gm) ?? []).length} of ${count} messages; exim log:\n${readLog(dir)}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function readLog(dir: string): string {
  const path = join(dir, 'log', 'mainlog')
  return existsSync(path) ? readFileSync(path, 'utf8') : '(no log)'
}
