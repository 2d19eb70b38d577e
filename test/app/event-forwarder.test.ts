// Forwarding to windows: only allowlisted events, in batches, with superseded samples dropped.
import { afterEach, describe, expect, it } from 'vitest'
import { coalesce, EventForwarder } from '../../src/main/app/event-forwarder'
import { eventBatchSchema, type AppEvent } from '../../src/shared/contract'

let seq = 0
const stamp = (event: Record<string, unknown>): AppEvent => ({ ...event, at: 1000 + seq, seq: ++seq }) as AppEvent
const progress = (path: string, bytes: number) => stamp({ type: 'transfer-progress', peer: '127.0.0.1:1', path, bytes, total: 100 })

const forwarders: EventForwarder[] = []
afterEach(() => {
  for (const f of forwarders.splice(0)) f.close()
})

describe('coalesce', () => {
  it('keeps only the last progress per file, the last buffer and workers report, and the order of everything else', () => {
    const joined = stamp({ type: 'peer-joined', ip: '127.0.0.1', port: 1 })
    const a1 = progress('a', 10)
    const b1 = progress('b', 5)
    const buffer1 = stamp({ type: 'buffer', used: 1, capacity: 4 })
    const a2 = progress('a', 60)
    const synced = stamp({ type: 'file-synced', peer: '127.0.0.1:1', path: 'b', bytes: 100, version: 'x' })
    const buffer2 = stamp({ type: 'buffer', used: 0, capacity: 4 })
    expect(coalesce([joined, a1, b1, buffer1, a2, synced, buffer2])).toEqual([joined, b1, a2, synced, buffer2])
  })

  it('keeps the last folder state, the last preparing list, and the last state of each mirror', () => {
    const mirror = (peer: string, needFiles: number) =>
      stamp({ type: 'mirror-state', peer, phase: 'syncing', files: 0, bytes: 0, needFiles, needBytes: 0, removeFiles: 0, failedFiles: 0, lastChange: null })
    const folder = (files: number) => stamp({ type: 'folder-state', folder: '/f', files, bytes: 0, ignored: 0, scanning: false, missing: false, ignoreProblem: null })
    const preparing = (files: unknown[]) => stamp({ type: 'preparing', files })
    const a1 = mirror('127.0.0.1:1', 5)
    const b1 = mirror('127.0.0.1:2', 7)
    const f1 = folder(1)
    const p1 = preparing([{ path: 'big', bytes: 1, total: 9 }])
    const a2 = mirror('127.0.0.1:1', 0)
    const f2 = folder(2)
    const p2 = preparing([])
    const batch = [a1, b1, f1, p1, a2, f2, p2]
    expect(coalesce(batch)).toEqual([b1, a2, f2, p2])
    expect(eventBatchSchema.safeParse(batch).success).toBe(true)
  })
})

describe('the event forwarder', () => {
  it('sends one batch per interval to every subscriber, and nothing after unsubscribe', async () => {
    const forwarder = new EventForwarder(20)
    forwarders.push(forwarder)
    const first: AppEvent[][] = []
    const second: AppEvent[][] = []
    forwarder.subscribe((b) => first.push(b))
    const stop = forwarder.subscribe((b) => second.push(b))
    for (let i = 0; i < 2000; i++) forwarder.push(stamp({ type: 'peer-joined', ip: '127.0.0.1', port: 10000 + i, id: 'AAAAAAA-BBBBBBB', name: `peer ${i}` }))
    await new Promise((r) => setTimeout(r, 60))
    expect(first).toHaveLength(1)
    expect(first[0]).toHaveLength(2000)
    expect(second).toEqual(first)
    expect(eventBatchSchema.safeParse(first[0]).success).toBe(true)
    stop()
    forwarder.push(stamp({ type: 'server-lost', server: '127.0.0.1:4000' }))
    forwarder.flush()
    expect(first).toHaveLength(2)
    expect(second).toHaveLength(1)
  })

  it('drops event types that are not on the allowlist', () => {
    const forwarder = new EventForwarder(1000)
    forwarders.push(forwarder)
    const got: AppEvent[][] = []
    forwarder.subscribe((b) => got.push(b))
    forwarder.push(stamp({ type: 'debug-internal', secret: 'x' }))
    forwarder.push(stamp({ type: 'peer-joined', ip: '127.0.0.1', port: 5 }))
    forwarder.flush()
    expect(got).toEqual([[expect.objectContaining({ type: 'peer-joined' })]])
  })

  it('keeps sending to the others when one subscriber throws', () => {
    const forwarder = new EventForwarder(1000)
    forwarders.push(forwarder)
    const got: AppEvent[][] = []
    forwarder.subscribe(() => {
      throw new Error('window gone')
    })
    forwarder.subscribe((b) => got.push(b))
    forwarder.push(stamp({ type: 'peer-joined', ip: '127.0.0.1', port: 5 }))
    forwarder.flush()
    expect(got).toHaveLength(1)
  })
})
