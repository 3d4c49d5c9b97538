import { describe, expect, it } from 'vitest'
import { createIngestGate, MAX_INGEST_BYTES, MAX_INGEST_REQUESTS } from '../../../server/events/admission.js'

describe('ingest gate', () => {
  it('lets in MAX_INGEST_REQUESTS small requests and refuses the next', () => {
    const gate = createIngestGate()
    const leaves = Array.from({ length: MAX_INGEST_REQUESTS }, () => gate.enter(1_000))
    expect(leaves.every((l) => l !== null)).toBe(true)
    expect(gate.enter(1_000)).toBeNull()
    leaves[0]!()
    expect(gate.enter(1_000)).not.toBeNull()
  })

  it('refuses a request whose body would take the bodies in progress past MAX_INGEST_BYTES', () => {
    const gate = createIngestGate()
    const big = 60 * 1024
    const n = Math.floor(MAX_INGEST_BYTES / big)
    for (let i = 0; i < n; i++) expect(gate.enter(big)).not.toBeNull()
    expect(gate.enter(big)).toBeNull()
    // What is left still fits a smaller one.
    expect(gate.enter(MAX_INGEST_BYTES - n * big)).not.toBeNull()
    expect(gate.inProgress()).toEqual({ requests: n + 1, bytes: MAX_INGEST_BYTES })
  })

  it('always lets the first request in, however large', () => {
    const gate = createIngestGate(10, 100)
    expect(gate.enter(5_000)).not.toBeNull()
    expect(gate.enter(1)).toBeNull()
  })

  it('gives a place back once, however often leave() is called', () => {
    const gate = createIngestGate(2, 10_000)
    const a = gate.enter(10)!
    gate.enter(10)
    a()
    a()
    expect(gate.inProgress()).toEqual({ requests: 1, bytes: 10 })
  })
})
