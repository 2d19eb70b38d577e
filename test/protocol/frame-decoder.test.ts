// FrameDecoder: reassembly of frames split at any byte, and refusal of bad length prefixes
// before anything is allocated for the body.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { ProtocolError } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { expectProtocolError, frameOf } from './support'

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

const header = (length: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(length, 0)
  return b
}

const MESSAGES: Message[] = [
  { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'alice' },
  { type: 'PING' },
  { type: 'LOG_ON', endpoint: { ip: '192.168.1.20', port: 40002 } },
  { type: 'ERROR', code: 7, text: 'déjà vu 🎉' },
  { type: 'GET_CLIENTS' },
  {
    type: 'CLIENT_LIST',
    clients: [
      { endpoint: { ip: '10.0.0.1', port: 1 }, id: Buffer.alloc(32, 1), name: 'a' },
      { endpoint: { ip: '2001:db8::7', port: 65535 }, id: Buffer.alloc(32, 2), name: 'b' },
      { endpoint: { ip: 'fe80::1:2', port: 80 }, id: Buffer.alloc(32, 3), name: 'c' },
    ],
  },
  { type: 'USER_OFF', endpoint: { ip: '::1', port: 9 }, id: Buffer.alloc(32, 4), reason: 'timeout' },
  { type: 'PONG' },
  { type: 'CLIENT_LIST', clients: [] },
  { type: 'LOG_OFF_OK', endpoint: { ip: '2001:db8:85a3::8a2e:370:7334', port: 443 } },
]
const FRAMES = MESSAGES.map(encodeMessage)
const STREAM = Buffer.concat(FRAMES)
const BODIES = FRAMES.map((f) => hex(f.subarray(4)))

/** Pushes each chunk and returns every body, as hex, in order of arrival. */
function collect(chunks: Uint8Array[], decoder = new FrameDecoder()): string[] {
  const out: string[] = []
  for (const chunk of chunks) for (const body of decoder.push(chunk)) out.push(hex(body))
  return out
}

describe('reassembly', () => {
  it('the stream used below holds several different message types', () => {
    expect(new Set(MESSAGES.map((m) => m.type)).size).toBeGreaterThanOrEqual(9)
    expect(STREAM.length).toBeGreaterThan(150)
  })

  it('the whole stream in one push yields every body in order', () => {
    const decoder = new FrameDecoder()
    const bodies = decoder.push(STREAM)
    expect(bodies.map(hex)).toEqual(BODIES)
    expect(bodies.map(decodeBody)).toStrictEqual(MESSAGES)
    expect(decoder.pendingBytes).toBe(0)
  })

  it('split in two at every byte offset, the same bodies in the same order', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const decoder = new FrameDecoder()
      const first = decoder.push(STREAM.subarray(0, i)).map(hex)
      const second = decoder.push(STREAM.subarray(i)).map(hex)
      expect([...first, ...second], `split at ${i}`).toEqual(BODIES)
      // The first push yields exactly the frames that lie wholly before the split.
      let whole = 0
      for (let end = 0, k = 0; k < FRAMES.length && (end += FRAMES[k]!.length) <= i; k++) whole++
      expect(first.length, `split at ${i}`).toBe(whole)
    }
  })

  it('split in three at every pair of offsets, the same bodies in the same order', () => {
    const stream = Buffer.concat(FRAMES.slice(1, 6)) // ~90 bytes → ~4 000 pairs
    const expected = FRAMES.slice(1, 6).map((f) => hex(f.subarray(4)))
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const got = collect([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])
        if (got.join() !== expected.join()) expect(got, `split at ${i}, ${j}`).toEqual(expected)
      }
    }
  })

  it('one byte at a time, the same bodies in the same order, each decoding to its message', () => {
    const decoder = new FrameDecoder()
    const bodies: Buffer[] = []
    for (let i = 0; i < STREAM.length; i++) {
      const got = decoder.push(STREAM.subarray(i, i + 1))
      expect(got.length).toBeLessThanOrEqual(1)
      bodies.push(...got)
    }
    expect(bodies.map(hex)).toEqual(BODIES)
    expect(bodies.map(decodeBody)).toStrictEqual(MESSAGES)
  })

  it('a body is emitted exactly when its last byte arrives', () => {
    const decoder = new FrameDecoder()
    let end = 0
    const ends = new Set(FRAMES.map((f) => (end += f.length)))
    for (let i = 0; i < STREAM.length; i++) {
      const got = decoder.push(STREAM.subarray(i, i + 1))
      expect(got.length, `after byte ${i + 1}`).toBe(ends.has(i + 1) ? 1 : 0)
    }
  })

  it('bodies handed out earlier stay intact while later bytes arrive', () => {
    const decoder = new FrameDecoder()
    const kept: Buffer[] = []
    for (let i = 0; i < STREAM.length; i += 3) kept.push(...decoder.push(Buffer.from(STREAM.subarray(i, i + 3))))
    expect(kept.map(hex)).toEqual(BODIES)
  })

  it('accepts plain Uint8Array chunks, including views at an offset into a larger buffer', () => {
    const backing = new ArrayBuffer(STREAM.length + 64)
    const all = new Uint8Array(backing)
    all.fill(0xee)
    all.set(STREAM, 17)
    const view = new Uint8Array(backing, 17, STREAM.length)
    expect(collect([view])).toEqual(BODIES)
    // and split in uneven Uint8Array views
    const cuts = [0, 1, 5, 6, 40, 41, 100, STREAM.length]
    const views = cuts.slice(1).map((c, k) => new Uint8Array(backing, 17 + cuts[k]!, c - cuts[k]!))
    expect(collect(views)).toEqual(BODIES)
  })

  it('empty pushes change nothing, at a boundary, mid-header and mid-body', () => {
    const decoder = new FrameDecoder()
    const frame = FRAMES[2]!
    expect(decoder.push(Buffer.alloc(0))).toEqual([])
    expect(decoder.push(frame.subarray(0, 2))).toEqual([])
    expect(decoder.push(new Uint8Array(0))).toEqual([])
    expect(decoder.push(frame.subarray(2, 7))).toEqual([])
    expect(decoder.push(Buffer.alloc(0))).toEqual([])
    expect(decoder.push(frame.subarray(7)).map(hex)).toEqual([hex(frame.subarray(4))])
    expect(decoder.push(Buffer.alloc(0))).toEqual([])
  })

  it('the smallest frame (length 1) and a frame of exactly MAX_FRAME_BYTES are accepted', () => {
    expect(collect([Buffer.from([0, 0, 0, 1, 3])])).toEqual(['03'])
    const big = Buffer.alloc(MAX_FRAME_BYTES, 0x5a)
    const decoder = new FrameDecoder()
    const bodies = [...decoder.push(header(MAX_FRAME_BYTES)), ...decoder.push(big.subarray(0, 1000)), ...decoder.push(big.subarray(1000))]
    expect(bodies).toHaveLength(1)
    expect(bodies[0]!.equals(big)).toBe(true)
    // and in one push
    const once = new FrameDecoder().push(Buffer.concat([header(MAX_FRAME_BYTES), big, FRAMES[1]!]))
    expect(once).toHaveLength(2)
    expect(once[0]!.length).toBe(MAX_FRAME_BYTES)
    expect(hex(once[1]!)).toBe('03')
  })

  it('a custom maximum is honoured', () => {
    expect(collect([frameOf(Buffer.alloc(16, 1))], new FrameDecoder(16))).toEqual(['01'.repeat(16)])
    expectProtocolError(() => new FrameDecoder(16).push(header(17)), 'frame-too-large')
  })

  it('puts a body that spans reads in memory from the given allocator, and only such a body', () => {
    const asked: number[] = []
    const arena = Buffer.alloc(64, 0xee)
    const decoder = new FrameDecoder(MAX_FRAME_BYTES, (length) => {
      asked.push(length)
      return arena.subarray(0, length)
    })
    // Whole in one read: handed out as a view of the read, no allocation.
    const whole = decoder.push(frameOf(Buffer.from([9, 9])))
    expect(whole.map(hex)).toEqual(['0909'])
    expect(asked).toEqual([])
    // Split across reads: collected into what the allocator gave.
    const split = frameOf(Buffer.from([1, 2, 3, 4, 5]))
    expect(decoder.push(split.subarray(0, 6))).toEqual([])
    const [body] = decoder.push(split.subarray(6))
    expect(asked).toEqual([5])
    expect(hex(body!)).toBe('0102030405')
    expect(body!.buffer).toBe(arena.buffer)
  })
})

describe('pendingBytes', () => {
  it('is 0 on a fresh decoder and after whole frames', () => {
    const decoder = new FrameDecoder()
    expect(decoder.pendingBytes).toBe(0)
    decoder.push(STREAM)
    expect(decoder.pendingBytes).toBe(0)
  })

  it('is non-zero while a frame header or body is partly received', () => {
    const frame = FRAMES[0]!
    for (const n of [1, 2, 3, 4, 5, 10, frame.length - 1]) {
      const decoder = new FrameDecoder()
      decoder.push(frame.subarray(0, n))
      expect(decoder.pendingBytes, `after ${n} bytes`).toBeGreaterThan(0)
    }
  })

  it('is 0 again after a frame that arrived in several pieces has completed', () => {
    const decoder = new FrameDecoder()
    const frame = encodeMessage({ type: 'LOG_ON', endpoint: { ip: '10.0.0.1', port: 5 } })
    expect(frame.length).toBe(12)
    expect(decoder.push(frame.subarray(0, 6))).toEqual([])
    expect(decoder.pendingBytes).toBe(6)
    expect(decoder.push(frame.subarray(6)).map(hex)).toEqual([hex(frame.subarray(4))])
    expect(decoder.pendingBytes).toBe(0)
    // the next frame's header counts only its own bytes
    decoder.push(frame.subarray(0, 2))
    expect(decoder.pendingBytes).toBe(2)
    decoder.push(frame.subarray(2, 3))
    expect(decoder.pendingBytes).toBe(3)
    expect(decoder.push(frame.subarray(3)).map(hex)).toEqual([hex(frame.subarray(4))])
    expect(decoder.pendingBytes).toBe(0)
  })

  it('is non-zero right after a complete length prefix whose body has not started', () => {
    const decoder = new FrameDecoder()
    expect(decoder.push(header(5))).toEqual([])
    expect(decoder.pendingBytes).toBe(4)
    decoder.push(Buffer.from([0x02, 0x00]))
    expect(decoder.pendingBytes).toBe(6)
    expect(decoder.push(Buffer.from([0x07, 0x00, 0x00])).map(hex)).toEqual(['0200070000'])
    expect(decoder.pendingBytes).toBe(0)
    // the same when the prefix arrives a byte at a time
    const slow = new FrameDecoder()
    for (const [i, byte] of [...header(5)].entries()) {
      slow.push(Buffer.from([byte]))
      expect(slow.pendingBytes, `after prefix byte ${i}`).toBe(i + 1)
    }
  })

  it('equals the bytes received since the last frame boundary, at every offset and chunking', () => {
    const boundaries: number[] = []
    let end = 0
    for (const f of FRAMES) boundaries.push((end += f.length))
    const expected = (offset: number) => offset - Math.max(0, ...boundaries.filter((b) => b <= offset))
    // one push of each prefix
    for (let i = 0; i <= STREAM.length; i++) {
      const decoder = new FrameDecoder()
      decoder.push(STREAM.subarray(0, i))
      expect(decoder.pendingBytes, `after a push of ${i} bytes`).toBe(expected(i))
    }
    // one byte at a time
    const decoder = new FrameDecoder()
    for (let i = 0; i < STREAM.length; i++) {
      decoder.push(STREAM.subarray(i, i + 1))
      expect(decoder.pendingBytes, `after byte ${i}`).toBe(expected(i + 1))
    }
    // an arbitrary split into two pushes, checked after each
    for (let i = 0; i <= STREAM.length; i++) {
      for (const j of [i, i + 1, i + 7, STREAM.length]) {
        if (j > STREAM.length) continue
        const d = new FrameDecoder()
        d.push(STREAM.subarray(0, i))
        d.push(STREAM.subarray(i, j))
        expect(d.pendingBytes, `after pushes of ${i} and ${j - i} bytes`).toBe(expected(j))
      }
    }
  })
})

describe('bad length prefixes', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  /** Spies on every Buffer allocator and returns the sizes requested. */
  function spyOnAllocations(): number[] {
    const sizes: number[] = []
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[name].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer
      vi.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
        sizes.push(size)
        return original(size, ...rest)
      }) as never)
    }
    return sizes
  }

  it('the spy sees the decoder allocate a body (positive control)', () => {
    const decoder = new FrameDecoder()
    const sizes = spyOnAllocations()
    expect(decoder.push(header(MAX_FRAME_BYTES))).toEqual([])
    expect(sizes).toContain(MAX_FRAME_BYTES)
  })

  it.each([
    ['MAX_FRAME_BYTES + 1', MAX_FRAME_BYTES + 1],
    ['2 × MAX_FRAME_BYTES', 2 * MAX_FRAME_BYTES],
    ['0x7fffffff', 0x7fffffff],
    ['0x80000000', 0x80000000],
    ['0xffffffff', 0xffffffff],
  ])('a length of %s is frame-too-large as soon as the 4 prefix bytes are in, with no large allocation', (_name, length) => {
    const decoder = new FrameDecoder()
    const sizes = spyOnAllocations()
    const error = expectProtocolError(() => decoder.push(header(length)), 'frame-too-large')
    expect(error.message).toContain(String(length))
    expect(sizes.filter((s) => s > 64 * 1024)).toEqual([])
    expect(decoder.failure).toBe(error)
  })

  it('foreign bytes where a frame belongs are a frame length too large (a web server is found before TLS, see net/http-probe.ts)', () => {
    expect(expectProtocolError(() => new FrameDecoder().push(Buffer.from('SSH-2.0-x\r\n')), 'frame-too-large').message).toContain('frame length')
  })

  it('the prefix arriving one byte at a time: nothing until the 4th byte, which throws', () => {
    const decoder = new FrameDecoder()
    const sizes = spyOnAllocations()
    const prefix = header(MAX_FRAME_BYTES + 1)
    for (let i = 0; i < 3; i++) expect(decoder.push(prefix.subarray(i, i + 1))).toEqual([])
    expectProtocolError(() => decoder.push(prefix.subarray(3, 4)), 'frame-too-large')
    expect(sizes.filter((s) => s > 64 * 1024)).toEqual([])
  })

  it('the prefix followed by body bytes in the same push is refused the same way', () => {
    const decoder = new FrameDecoder()
    const sizes = spyOnAllocations()
    expectProtocolError(() => decoder.push(Buffer.concat([header(0xffffffff), Buffer.alloc(100, 1)])), 'frame-too-large')
    expect(sizes.filter((s) => s > 64 * 1024)).toEqual([])
  })

  it('a length of 0 is bad-frame', () => {
    expectProtocolError(() => new FrameDecoder().push(header(0)), 'bad-frame')
    expectProtocolError(() => new FrameDecoder().push(Buffer.concat([header(0), FRAMES[1]!])), 'bad-frame')
  })

  it.each([
    ['length 0', header(0), 'bad-frame'],
    ['oversize length', header(MAX_FRAME_BYTES + 1), 'frame-too-large'],
  ] as const)('after a %s error the decoder stays failed: every later push throws the same error', (_name, bytes, code) => {
    const decoder = new FrameDecoder()
    const first = expectProtocolError(() => decoder.push(bytes), code)
    for (const next of [FRAMES[1]!, Buffer.alloc(0), STREAM, header(5)]) {
      let thrown: unknown
      try {
        decoder.push(next)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBe(first)
    }
    expect(decoder.failure).toBe(first)
  })

  it('frames completed before a bad prefix in the same push are returned, then the decoder is failed', () => {
    const decoder = new FrameDecoder()
    const bodies = decoder.push(Buffer.concat([FRAMES[1]!, FRAMES[2]!, header(0xffffffff)]))
    expect(bodies.map(hex)).toEqual([BODIES[1], BODIES[2]])
    expect(decoder.failure).toBeInstanceOf(ProtocolError)
    expect(decoder.failure!.code).toBe('frame-too-large')
    expectProtocolError(() => decoder.push(FRAMES[1]!), 'frame-too-large')
  })

  it('a healthy decoder reports no failure', () => {
    const decoder = new FrameDecoder()
    decoder.push(STREAM.subarray(0, 50))
    expect(decoder.failure).toBeNull()
  })
})
