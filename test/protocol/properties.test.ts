// fast-check properties of the decoding path as a connection uses it (FrameDecoder, then
// decodeBody per body): hostile bytes only ever produce well-formed messages or a ProtocolError,
// chunking never changes the outcome, and every valid message round-trips.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { MAX_FRAME_BYTES, MessageType } from '../../src/main/engine/protocol/constants'
import { ProtocolError } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { FC_RUNS, comparable, cut, expectWellFormed, feed, frameOf, messageCaseArb, messageKey, type FeedResult } from './support'

const TYPE_CODES = Object.values(MessageType) as number[]

/** Cut points for a stream, as raw numbers reduced modulo its length. */
const cutsArb = fc.array(fc.nat(), { maxLength: 12 })
const chunked = (stream: Buffer, cuts: number[]) => cut(stream, cuts.map((c) => c % (stream.length + 1)))
const oneByteAtATime = (stream: Buffer) => Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1))

/** Outcome comparable across runs: the messages and the error code. */
const outcome = (r: FeedResult) => ({ messages: r.messages.map(messageKey), error: r.error?.code ?? null })

/**
 * Feeds a stream three ways (given chunks, one push, one byte at a time). Each must give only
 * well-formed messages and at most a ProtocolError (feed() rethrows anything else), and all
 * three must agree.
 */
function checkStream(stream: Buffer, cuts: number[]): FeedResult {
  const result = feed(chunked(stream, cuts))
  for (const message of result.messages) expectWellFormed(message)
  expect(outcome(feed([stream]))).toEqual(outcome(result))
  expect(outcome(feed(oneByteAtATime(stream)))).toEqual(outcome(result))
  return result
}

/** decodeBody on one body: a well-formed message or a ProtocolError, nothing else. */
function checkBody(body: Buffer): void {
  let message: Message
  try {
    message = decodeBody(body)
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
    return
  }
  expectWellFormed(message)
}

const u32Arb = fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([hi, lo]) => hi * 0x10000 + lo)
const prefixArb = fc
  .oneof(
    fc.constantFrom(0, 1, MAX_FRAME_BYTES, MAX_FRAME_BYTES + 1, 0xffffffff),
    fc.integer({ min: 0, max: 64 }),
    u32Arb,
  )
  .map((n) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n, 0)
    return b
  })
const typeByteArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TYPE_CODES) }, { weight: 1, arbitrary: fc.nat(255) })
/** A body that starts with a (mostly) known type byte, then random bytes. */
const randomBodyArb = fc
  .tuple(typeByteArb, fc.uint8Array({ maxLength: 48 }))
  .map(([type, rest]) => Buffer.concat([Buffer.from([type]), rest]))

/** Stream pieces: raw noise, bare length prefixes, framed random bodies, valid frames. */
const segmentArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  prefixArb,
  randomBodyArb.map(frameOf),
  messageCaseArb.map((c) => encodeMessage(c.input)),
)

describe('(a) random bytes: messages or ProtocolError, never another exception', () => {
  it('pure random byte streams in random chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutsArb, (raw, cuts) => {
        checkStream(Buffer.from(raw), cuts)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('streams assembled from noise, length prefixes, framed random bodies and valid frames', () => {
    fc.assert(
      fc.property(fc.array(segmentArb, { maxLength: 8 }), cutsArb, (segments, cuts) => {
        checkStream(Buffer.concat(segments), cuts)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('decodeBody alone on random bodies (mostly with a known type byte)', () => {
    fc.assert(
      fc.property(fc.oneof(randomBodyArb, fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a))), (body) => {
        checkBody(body)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('a decoder with a small maximum, fed random framed bodies', () => {
    fc.assert(
      fc.property(fc.array(randomBodyArb.map(frameOf), { maxLength: 6 }), cutsArb, (frames, cuts) => {
        const stream = Buffer.concat(frames)
        const result = feed(chunked(stream, cuts), new FrameDecoder(24))
        for (const message of result.messages) expectWellFormed(message)
        if (frames.some((f) => f.length - 4 > 24) && result.error === null) {
          // an over-long frame cannot pass unnoticed unless an earlier error stopped us
          throw new Error('a frame above the maximum was accepted')
        }
      }),
      { numRuns: FC_RUNS },
    )
  })
})

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 0xff, 4, 6), fc.nat(255)) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
)

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(input)
  for (const m of mutations) {
    if (m.kind === 'insert') {
      const at = m.at % (b.length + 1)
      b = Buffer.concat([b.subarray(0, at), Buffer.from([m.value]), b.subarray(at)])
      continue
    }
    if (b.length === 0) continue
    const at = m.at % b.length
    if (m.kind === 'flip') b[at] = b[at]! ^ (1 << m.bit)
    else if (m.kind === 'set') b[at] = m.value
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
    else b = b.subarray(0, at)
  }
  return b
}

describe('(b) valid frames with random mutations: messages or ProtocolError', () => {
  it('mutated streams of valid frames, in random chunks', () => {
    fc.assert(
      fc.property(
        fc.array(messageCaseArb, { minLength: 1, maxLength: 4 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        cutsArb,
        (cases, mutations, cuts) => {
          const stream = Buffer.concat(cases.map((c) => encodeMessage(c.input)))
          checkStream(mutate(stream, mutations), cuts)
        },
      ),
      { numRuns: FC_RUNS },
    )
  })

  it('mutated bodies re-framed with their true length, so every mutation reaches decodeBody', () => {
    fc.assert(
      fc.property(messageCaseArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), cutsArb, (c, mutations, cuts) => {
        const body = mutate(encodeMessage(c.input).subarray(4), mutations)
        checkBody(body)
        if (body.length > 0) checkStream(frameOf(body), cuts)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('a mutation that changes no byte still decodes to the original message (sanity)', () => {
    fc.assert(
      fc.property(messageCaseArb, (c) => {
        const frame = encodeMessage(c.input)
        const same = mutate(frame, [
          { kind: 'flip', at: 7, bit: 3 },
          { kind: 'flip', at: 7, bit: 3 },
        ])
        expect(comparable(feed([same]).messages)).toStrictEqual(comparable([c.expected]))
      }),
      { numRuns: Math.ceil(FC_RUNS / 10) },
    )
  })
})

describe('(c) arbitrary valid messages round-trip', () => {
  it('each message: length prefix, one body, decodes to the canonical message, stable bytes', () => {
    fc.assert(
      fc.property(messageCaseArb, ({ input, expected }) => {
        const frame = encodeMessage(input)
        expect(frame.readUInt32BE(0)).toBe(frame.length - 4)
        expect(frame.length - 4).toBeLessThanOrEqual(MAX_FRAME_BYTES)
        expect(frame[4]).toBe(MessageType[input.type])
        const bodies = new FrameDecoder().push(frame)
        expect(bodies).toHaveLength(1)
        const decoded = decodeBody(bodies[0]!)
        expect(comparable(decoded)).toStrictEqual(comparable(expected))
        // however the input spelled its addresses, the bytes are those of the canonical form
        expect(encodeMessage(expected).equals(frame)).toBe(true)
        expect(encodeMessage(decoded).equals(frame)).toBe(true)
      }),
      { numRuns: FC_RUNS },
    )
  })

  it('a stream of messages in random chunks decodes to the same messages in order', () => {
    fc.assert(
      fc.property(fc.array(messageCaseArb, { maxLength: 6 }), cutsArb, (cases, cuts) => {
        const stream = Buffer.concat(cases.map((c) => encodeMessage(c.input)))
        const result = checkStream(stream, cuts)
        expect(result.error).toBeNull()
        expect(comparable(result.messages)).toStrictEqual(comparable(cases.map((c) => c.expected)))
      }),
      { numRuns: FC_RUNS },
    )
  })
})
