// The reading half of a connection (net/incoming-frames.ts) on a real loopback socket, with the
// real decoder and writing half: frames in order, held and released, a broken frame's error after
// the answers before it, and the read limit's pause.
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import type { ProtocolError } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { IncomingFrames } from '../../src/main/engine/net/incoming-frames'
import { OutgoingFrames } from '../../src/main/engine/net/outgoing-frames'
import { TokenBucket } from '../../src/main/engine/net/token-bucket'
import { until } from '../helpers/until'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

interface Reader {
  incoming: IncomingFrames
  /** The accepted socket IncomingFrames reads. */
  socket: Socket
  /** The other end, which writes frames. */
  peer: Socket
  seen: { messages: Message[]; failures: ProtocolError[]; heard: number }
  answered: { promise?: Promise<unknown> }
}

/** IncomingFrames on the accepted end of a fresh loopback connection. */
async function reader(readRate?: TokenBucket): Promise<Reader> {
  let accepted: (socket: Socket) => void = () => {}
  const arrived = new Promise<Socket>((resolve) => (accepted = resolve))
  const server: Server = createServer((socket) => accepted(socket))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const peer = connect((server.address() as { port: number }).port, '127.0.0.1')
  await once(peer, 'connect')
  const socket = await arrived
  const seen = { messages: [] as Message[], failures: [] as ProtocolError[], heard: 0 }
  const answered: { promise?: Promise<unknown> } = {}
  const out = new OutgoingFrames(socket, { maxQueueBytes: 1 << 20, maxQueueFrames: 1 << 14 }, { tooSlow: () => {}, framesTaken: () => {} })
  const incoming = new IncomingFrames(
    socket,
    new FrameDecoder(1024),
    out,
    {
      frame: (body) => void seen.messages.push(decodeBody(body)),
      fail: (error) => void seen.failures.push(error),
      answered: () => answered.promise,
      heard: () => void seen.heard++,
      closed: () => socket.destroyed,
    },
    readRate,
  )
  socket.on('data', (chunk: Buffer) => incoming.onData(chunk))
  cleanups.push(() => {
    incoming.dispose()
    out.close()
    peer.destroy()
    socket.destroy()
    server.close()
  })
  return { incoming, socket, peer, seen, answered }
}

const chat = (n: number): Message[] => Array.from({ length: n }, (_, i) => ({ type: 'ERROR', code: 1, text: `frame ${i}` }) as Message)
const frames = (messages: Message[]): Buffer => Buffer.concat(messages.map(encodeMessage))
/** A length prefix past the decoder's 1024-byte maximum. */
const tooLarge = (): Buffer => Buffer.from([0, 0, 0x10, 0])

describe('IncomingFrames', () => {
  it('hands every frame over in order, however the stream is split, and counts each read as heard', async () => {
    const { peer, seen } = await reader()
    const sent = chat(20)
    const bytes = frames(sent)
    for (let at = 0; at < bytes.length; at += 7) {
      peer.write(bytes.subarray(at, at + 7))
      await sleep(0)
    }
    await until(() => seen.messages.length === sent.length, 'every frame')
    expect(seen.messages).toEqual(sent)
    expect(seen.heard).toBeGreaterThan(0)
  })

  it('keeps frames read while held, stops reading, and hands them over in order once released as often as held', async () => {
    const { incoming, socket, peer, seen } = await reader()
    incoming.hold()
    incoming.hold()
    const sent = chat(5)
    peer.write(frames(sent))
    await until(() => incoming.held, 'reading to be held')
    expect(socket.isPaused()).toBe(true)
    expect(seen.messages).toEqual([])
    incoming.release()
    await sleep(20)
    expect(seen.messages).toEqual([])
    incoming.release()
    await until(() => seen.messages.length === sent.length, 'the held frames')
    expect(seen.messages).toEqual(sent)
    expect(incoming.held).toBe(false)
  })

  it('handles the frames before a broken one, then fails at once when nothing waits for an answer', async () => {
    const { peer, seen } = await reader()
    peer.write(Buffer.concat([frames(chat(2)), tooLarge()]))
    await until(() => seen.failures.length === 1, 'the failure')
    expect(seen.messages).toEqual(chat(2))
    expect(seen.failures[0]!.code).toBe('frame-too-large')
  })

  it("holds a broken frame's failure until the frames before it are answered, reading nothing more meanwhile", async () => {
    const { socket, peer, seen, answered } = await reader()
    let answer: () => void = () => {}
    answered.promise = new Promise<void>((resolve) => (answer = resolve))
    peer.write(Buffer.concat([frames(chat(1)), tooLarge()]))
    await until(() => socket.isPaused(), 'the broken frame to stop reading')
    expect(seen.messages).toEqual(chat(1))
    expect(seen.failures).toEqual([])
    answer()
    await until(() => seen.failures.length === 1, 'the failure after the answer')
    expect(seen.failures[0]!.code).toBe('frame-too-large')
  })

  it('pauses reading past the read limit, then reads on by itself', async () => {
    // 1 KiB/s: the first batch owes a pause of about half a second.
    const { incoming, socket, peer, seen } = await reader(TokenBucket.create(1024))
    const first = chat(40)
    peer.write(frames(first))
    await until(() => incoming.held, 'the pause')
    expect(socket.isPaused()).toBe(true)
    // Sent during the pause: read only once it ends, with nothing but time to end it.
    const second = chat(3)
    peer.write(frames(second))
    await until(() => seen.messages.length === first.length + second.length, 'every frame after the pause')
    expect(seen.messages).toEqual([...first, ...second])
  })
})
