// A peer that writes and never reads, over mutual TLS as a test device, and the memory of a real
// process read from outside it (/proc/PID/status): what a flood costs the process that takes it.
import { readFileSync } from 'node:fs'
import type { TLSSocket } from 'node:tls'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { tlsTo } from '../helpers/raw-peer'
import { newIdentity, type TestIdentity } from '../helpers/test-identity'

/** Resident memory of a process, in MB. */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) / 1024
}

export const HELLO: Message = { type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'flooder' }
/** JOIN with no token: a member is let in (JOIN_OK), anyone else held (JOIN_PENDING). */
export const JOIN: Message = { type: 'JOIN', token: Buffer.alloc(0) }

/** `count` copies of one message's frame, back to back: one write's worth of a flood. */
export function repeated(message: Message, count: number): Buffer {
  const frame = encodeMessage(message)
  const out = Buffer.allocUnsafe(frame.length * count)
  for (let at = 0; at < out.length; at += frame.length) frame.copy(out, at)
  return out
}

/**
 * Connects with TLS as `identity` (default: a new device, a member of nothing), sends `opening`
 * and reads until `until` has arrived (HELLO, JOIN_OK, JOIN_PENDING), then stops reading for
 * good: everything after is written, never read.
 */
export async function silentPeer(port: number, opening: Message[], until: Message['type'], identity?: TestIdentity): Promise<TLSSocket> {
  const socket = await tlsTo(port, '127.0.0.1', identity ?? (await newIdentity('flooder')))
  socket.on('error', () => {})
  const decoder = new FrameDecoder()
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${until} within 10 s`)), 10_000)
    socket.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) {
        const message = decodeBody(body)
        if (message.type !== until) continue
        clearTimeout(timer)
        socket.removeAllListeners('data')
        socket.pause()
        resolve()
      }
    })
    socket.once('close', () => reject(new Error(`closed before ${until}`)))
    for (const message of opening) socket.write(encodeMessage(message))
  })
  return socket
}

/**
 * Writes `flood` on every socket, then samples `pid`'s memory every 25 ms for `windowMs` (or until
 * every socket is closed): the peak seen. Bounded in bytes (what was written) and in time.
 */
export async function peakDuring(pid: number, sockets: TLSSocket[], flood: Buffer, windowMs: number): Promise<number> {
  for (const socket of sockets) socket.write(flood)
  let peak = rssMb(pid)
  const until = Date.now() + windowMs
  while (Date.now() < until && sockets.some((s) => !s.destroyed && !s.readableEnded)) {
    await new Promise((r) => setTimeout(r, 25))
    peak = Math.max(peak, rssMb(pid))
  }
  return peak
}
