// A private Apache 2.4 for one test file: its own config, ports, pid file, logs and Passenger
// instance folder under the test's temp dir, run in the foreground (never the system service),
// and stopped with every process it started (Passenger's agents and apps included).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'

const MODULES = '/usr/lib/apache2/modules'

/** Why the hosting tests cannot run here, or null when they can (root, apache2, mod_passenger, mod_php). */
export function hostingUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'they need root (to create Unix users and run Apache as CI does)'
  if (spawnSync('apache2', ['-v']).status !== 0) return 'apache2 is not installed (apt-get install apache2)'
  const needed: [string, string][] = [['mod_passenger.so', 'libapache2-mod-passenger'], ['libphp8.2.so', 'libapache2-mod-php']]
  for (const [file, pkg] of needed) {
    if (!existsSync(join(MODULES, file))) return `${file} is missing (apt-get install ${pkg})`
  }
  return null
}

/**
 * Settings every config shares. Passenger's anonymous telemetry and security update check are
 * off: the tests stay on loopback. prefork, because Debian's mod_php needs it.
 */
function baseConfig(dir: string, ports: number[], modules: string[]): string {
  const load = ['mpm_prefork', 'authz_core', ...modules].map((m) => `LoadModule ${m === 'php' ? 'php' : m}_module ${MODULES}/${m === 'php' ? 'libphp8.2.so' : `mod_${m}.so`}`)
  return [
    'ServerRoot /etc/apache2',
    `PidFile ${dir}/run/httpd.pid`,
    `Mutex file:${dir}/run default`,
    `DefaultRuntimeDir ${dir}/run`,
    'ServerName 127.0.0.1',
    ...ports.map((p) => `Listen 127.0.0.1:${p}`),
    'User www-data',
    'Group www-data',
    `ErrorLog ${dir}/logs/error.log`,
    'LogLevel warn',
    ...load,
    'StartServers 2',
    'MinSpareServers 1',
    'MaxSpareServers 4',
    'MaxRequestWorkers 16',
    'Timeout 30',
    ...(modules.includes('passenger') ? [
      'PassengerRoot /usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini',
      'PassengerDefaultRuby /usr/bin/ruby',
      'PassengerDisableAnonymousTelemetry on',
      'PassengerDisableSecurityUpdateCheck on',
      `PassengerInstanceRegistryDir ${dir}/run`,
      `PassengerLogFile ${dir}/logs/passenger.log`,
    ] : []),
    '',
  ].join('\n')
}

export interface Apache {
  dir: string
  /** The Passenger log (app output, start-up errors) and Apache's error log. */
  logs(): string
  stop(): Promise<void>
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true) })
    socket.on('error', () => resolve(false))
  })
}

/** Every live descendant of `pid` (Passenger's watchdog, core, apps; Apache's workers). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch { /* gone */ }
  }
  const out: number[] = []
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { out.push(c); walk(c) } }
  walk(pid)
  return out
}

function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z')
  } catch {
    return false
  }
}

/** Starts Apache with the base config plus `sites` (VirtualHost blocks); resolves when every port answers. */
export async function startApache(o: { dir: string; ports: number[]; modules: string[]; sites: string }): Promise<Apache> {
  mkdirSync(join(o.dir, 'run'), { recursive: true })
  mkdirSync(join(o.dir, 'logs'), { recursive: true })
  const conf = join(o.dir, 'httpd.conf')
  writeFileSync(conf, baseConfig(o.dir, o.ports, o.modules) + o.sites)
  mkdirSync(join(o.dir, 'tmp'), { recursive: true })
  // Its own process group: when Passenger shuts down it signals its group, which must not be the
  // test runner's. TMPDIR keeps Passenger's error reports in the test's folder.
  const child: ChildProcess = spawn('apache2', ['-f', conf, '-DFOREGROUND'], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: join(o.dir, 'tmp'), LANG: 'C' },
  })
  let output = ''
  child.stdout!.on('data', (c) => (output += c))
  child.stderr!.on('data', (c) => (output += c))
  const read = (name: string) => (existsSync(join(o.dir, 'logs', name)) ? readFileSync(join(o.dir, 'logs', name), 'utf8') : '')
  const apache: Apache = {
    dir: o.dir,
    logs: () => `${read('passenger.log')}\n${read('error.log')}\n${output}`,
    async stop() {
      if (child.exitCode !== null) return
      const family = descendants(child.pid!)
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))])
      // Apache waits for Passenger, which stops its apps; give stragglers a moment, then kill them.
      for (let waited = 0; waited < 5_000 && family.some(alive); waited += 100) await new Promise((r) => setTimeout(r, 100))
      for (const pid of [child.pid!, ...family].filter(alive)) process.kill(pid, 'SIGKILL')
    },
  }
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`apache2 exited (${child.exitCode}): ${apache.logs()}`)
    if ((await Promise.all(o.ports.map(portOpen))).every(Boolean)) return apache
    await new Promise((r) => setTimeout(r, 100))
  }
  await apache.stop()
  throw new Error(`apache2 did not listen in 20 s: ${apache.logs()}`)
}

/**
 * PIDs of Passenger's app processes for an app root. Their title ("Passenger NodeApp: <root>") is
 * cut to the length of the original command line, so the app root is matched by working folder.
 */
export function appProcesses(appRoot: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmd.startsWith('Passenger NodeApp:') && readlinkSync(`/proc/${entry}/cwd`) === appRoot && alive(Number(entry))) out.push(Number(entry))
    } catch { /* gone */ }
  }
  return out
}
