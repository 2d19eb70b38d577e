// How many connections one address may hold open before saying HELLO. Each such connection
// costs a socket and a timer until the hello timeout; without a bound per address one host could
// keep thousands waiting, for nothing. A connection counts until its HELLO or its close.
import { ProtocolError } from '../protocol/errors'
import type { Connection } from './connection'

export class HandshakeLimit {
  private readonly waiting = new Map<string, number>()

  constructor(private readonly perAddress: number) {}

  /** Counts a new connection, or refuses it (ERROR too-many-connections, then close). */
  admit(connection: Connection): boolean {
    const ip = connection.remoteIp
    const count = this.waiting.get(ip) ?? 0
    if (count >= this.perAddress) {
      const text = `${ip} already has ${count} connections that have not said HELLO; say HELLO on those, or try again later`
      connection.fail(new ProtocolError('too-many-connections', text))
      return false
    }
    this.waiting.set(ip, count + 1)
    const done = (): void => {
      connection.off('ready', done)
      connection.off('close', done)
      const left = (this.waiting.get(ip) ?? 1) - 1
      if (left > 0) this.waiting.set(ip, left)
      else this.waiting.delete(ip)
    }
    connection.on('ready', done)
    connection.on('close', done)
    return true
  }
}
