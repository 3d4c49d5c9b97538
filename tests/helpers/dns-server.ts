// A tiny DNS server on a loopback UDP port: A records for the names it is given, silence (never an
// answer) for names containing "attacker", NXDOMAIN for anything else; answers for names in
// `delayMs` go out that late. The in-process tests point the service at it with QSM_DNS_SERVERS;
// tests/isolation/dns-system-resolver.test.ts runs it on 127.0.0.1:53 as the system's resolver.
import { createSocket } from 'node:dgram'
import type { AddressInfo } from 'node:net'

export async function startDnsServer(answers: Record<string, string>, opts: { delayMs?: Record<string, number>; port?: number } = {}) {
  const socket = createSocket('udp4')
  const asked: string[] = []
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return
    let at = 12
    const labels: string[] = []
    while (at < msg.length && msg[at] !== 0) {
      const len = msg[at]!
      labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'))
      at += len + 1
    }
    const questionEnd = at + 5
    const name = labels.join('.').toLowerCase()
    const qtype = msg.readUInt16BE(at + 1)
    asked.push(name)
    if (name.includes('attacker')) return // a server that never answers these
    const ip = answers[name]
    const answer = ip && qtype === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip.split('.').map(Number)]) : Buffer.alloc(0)
    const header = Buffer.alloc(12)
    msg.copy(header, 0, 0, 2) // id
    header.writeUInt16BE(ip ? 0x8180 : 0x8183, 2) // response, recursion available; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4)
    header.writeUInt16BE(answer.length ? 1 : 0, 6)
    const reply = Buffer.concat([header, msg.subarray(12, questionEnd), answer])
    const delay = opts.delayMs?.[name] ?? 0
    const send = () => {
      try {
        socket.send(reply, rinfo.port, rinfo.address, () => {})
      } catch { /* closed while the answer waited */ }
    }
    if (delay > 0) setTimeout(send, delay)
    else send()
  })
  // A taken port (EADDRINUSE, EACCES for 53 without root) rejects here instead of crashing.
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(opts.port ?? 0, '127.0.0.1', () => { socket.off('error', reject); resolve() })
  })
  const port = (socket.address() as AddressInfo).port
  return { server: `127.0.0.1:${port}`, asked, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) }
}
