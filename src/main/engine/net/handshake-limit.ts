// How many connections one address may hold open before saying HELLO, counted from the TCP
// accept: before TLS is done too, since a TLS handshake costs more than a socket. Each such
// connection costs a socket and a timer until the handshake or hello timeout; without a bound per
// address one host could keep thousands waiting, for nothing. A connection counts until its
// HELLO (done()) or its close. One past the bound is destroyed at once: no TLS, no byte.
import type { Socket } from 'node:net'
import { normalizeIp } from '../protocol/address'

export class HandshakeLimit {
  private readonly waiting = new Map<string, number>()
  private readonly counted = new WeakMap<Socket, string>()

  constructor(private readonly perAddress: number) {}

  /** Counts a new TCP connection, or refuses it (destroyed, false). */
  admit(socket: Socket): boolean {
    const ip = sourceIp(socket)
    const count = this.waiting.get(ip) ?? 0
    if (count >= this.perAddress) {
      socket.destroy()
      return false
    }
    this.waiting.set(ip, count + 1)
    this.counted.set(socket, ip)
    socket.once('close', () => this.done(socket))
    return true
  }

  /** The connection said HELLO (or closed): it no longer counts. */
  done(socket: Socket): void {
    const ip = this.counted.get(socket)
    if (ip === undefined) return
    this.counted.delete(socket)
    const left = (this.waiting.get(ip) ?? 1) - 1
    if (left > 0) this.waiting.set(ip, left)
    else this.waiting.delete(ip)
  }

  /** Connections from `ip` still counted (tests, diagnostics). */
  count(ip: string): number {
    return this.waiting.get(ip) ?? 0
  }
}

function sourceIp(socket: Socket): string {
  try {
    return normalizeIp(socket.remoteAddress ?? '0.0.0.0')
  } catch {
    return socket.remoteAddress ?? '0.0.0.0'
  }
}
