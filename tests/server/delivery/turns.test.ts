import { describe, expect, it } from 'vitest'
import { Turns } from '../../../server/delivery/turns.js'

const job = (name: string, user: string, endpoint: string) => ({ name, claim: { user_id: user, endpoint_id: endpoint } })
const any = () => true

/** Starts jobs one free slot at a time, as the runner does, and names them in start order. */
function startAll(turns: Turns, queue: ReturnType<typeof job>[], slots: number, startable: (j: ReturnType<typeof job>) => boolean = any) {
  const held = new Set(queue)
  const order: string[] = []
  for (let i = 0; i < slots; i++) {
    const next = turns.next(held, startable)
    if (!next) break
    held.delete(next)
    turns.started(next)
    order.push(next.name)
  }
  return order
}

describe('turns', () => {
  it('keeps queue order among users who have not started anything yet', () => {
    const turns = new Turns()
    expect(startAll(turns, [job('a1', 'a', 'a-e1'), job('b1', 'b', 'b-e1'), job('c1', 'c', 'c-e1')], 3)).toEqual(['a1', 'b1', 'c1'])
  })

  it("gives a second free slot to another user before the first user's next job", () => {
    const turns = new Turns()
    const queue = [job('a1', 'a', 'a-e1'), job('a2', 'a', 'a-e2'), job('b1', 'b', 'b-e1')]
    expect(startAll(turns, queue, 2)).toEqual(['a1', 'b1'])
  })

  it('serves the user who started longest ago first, whatever the queue order', () => {
    const turns = new Turns()
    turns.started(job('x', 'b', 'b-e1'))
    turns.started(job('y', 'a', 'a-e1'))
    expect(startAll(turns, [job('a2', 'a', 'a-e2'), job('b2', 'b', 'b-e2')], 1)).toEqual(['b2'])
  })

  it("takes a user's endpoints in turns within that user's share", () => {
    const turns = new Turns()
    turns.started(job('x', 'a', 'a-e1'))
    turns.started(job('y', 'b', 'b-e1'))
    // a's turn comes first; of a's jobs, the one for the endpoint that has not sent yet.
    expect(startAll(turns, [job('a-again', 'a', 'a-e1'), job('a-other', 'a', 'a-e2')], 1)).toEqual(['a-other'])
  })

  it("passes over a job that may not start, to the next one's turn", () => {
    const turns = new Turns()
    const queue = [job('a1', 'a', 'a-e1'), job('b1', 'b', 'b-e1')]
    expect(startAll(turns, queue, 2, (j) => j.claim.user_id !== 'a')).toEqual(['b1'])
  })

  it('answers null when nothing may start', () => {
    expect(new Turns().next([job('a1', 'a', 'a-e1')], () => false)).toBeNull()
  })
})
