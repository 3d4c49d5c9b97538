// One tick over a seeded backlog, with the default 20 s budget. Preferably the `tick` CLI command
// (the same runDue pass /tick makes, with no in-process loop beside it, so the figure is the tick's
// alone); when the CLI has no tick command yet, POST /tick on a web process, whose own 1 s poll
// then also sends and is counted with it (the report says which ran).
import { request } from 'undici'
import { startCli, startWeb, TEST_SECRETS, type Service } from '../lib/service.js'
import { arrivalRate, type Receiver } from '../lib/receiver-client.js'
import { sampleUsage } from '../lib/rss.js'
import type { Entry } from '../lib/build.js'
import { nowMs } from '../lib/stats.js'
import type { TickResult } from './drain.js'

export async function oneTick(entry: Entry, url: string, receiver: Receiver, extraPids: Record<string, number>, seeded: number): Promise<TickResult> {
  const t0 = nowMs()
  const cli = startCli(entry, 'tick', url)
  const sampler = sampleUsage({ service: cli.pid, ...extraPids })
  const code = await Promise.race([cli.exited, new Promise<null>((res) => setTimeout(() => res(null), 120_000))])
  const usage = sampler.stop()
  if (code === null) await cli.stop('SIGKILL')
  const unknown = code === 2 && /Unknown command/i.test(cli.stderr())
  if (!unknown) {
    const elapsedMs = Math.round(nowMs() - t0)
    const got = await receiver.stats()
    return {
      seeded,
      delivered: got.unique,
      elapsedMs,
      rate: arrivalRate(got),
      via: `CLI \`tick\` (exit ${code}), wall time includes process start`,
      summary: cli.stdout().trim().slice(-600) || cli.stderr().slice(-300),
      ledger: undefined as never,
      usage,
    }
  }
  let web: Service | undefined
  try {
    web = await startWeb(entry, url)
    await receiver.reset()
    const sampler2 = sampleUsage({ service: web.child.pid, ...extraPids })
    const t1 = nowMs()
    const res = await request(`${web.base}/tick`, { method: 'POST', headers: { authorization: `Bearer ${TEST_SECRETS.QSM_CRON_TOKEN}` }, headersTimeout: 120_000, bodyTimeout: 120_000 })
    const text = await res.body.text()
    const elapsedMs = Math.round(nowMs() - t1)
    const got = await receiver.stats()
    let summary: unknown = text.slice(0, 500)
    try {
      summary = JSON.parse(text)
    } catch {
      // keep the text
    }
    return {
      seeded,
      delivered: got.unique,
      elapsedMs,
      rate: Math.round((got.unique / elapsedMs) * 1000),
      via: `POST /tick (HTTP ${res.statusCode}) on a web process; its in-process 1 s poll may send too`,
      summary,
      ledger: undefined as never,
      usage: sampler2.stop(),
    }
  } finally {
    await web?.stop()
  }
}
