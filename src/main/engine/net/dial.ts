// What dialing a peer takes and how it can fail, shared by the TLS dial (tls.ts) and the bench's
// plain one (bench-plain.ts).
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { shortDeviceId } from '../../../shared/device-id'

/** A device's certificate and key (PEM), as loadOrCreateIdentity gives them. */
export interface TlsCredentials {
  certPem: string
  keyPem: string
}

export interface DialOptions {
  host: string
  port: number
  credentials: TlsCredentials
  /** The device ID the other side must prove (32 bytes). */
  expectId: Uint8Array
  timeoutMs: number
}

/** Why a dial failed: `code` is stable (below), `message` is one line for people. */
export class DialError extends Error {
  constructor(
    /**
     * `connect-failed` (no TCP connection: the message is the system's code, ECONNREFUSED …),
     * `not-tls` (the other side answered, but not with TLS: an older peer, another service),
     * `tls-failed` (the TLS handshake failed), `not-dropbox-sync` (TLS, but not our ALPN),
     * `peer-id-mismatch` (another device answered), `timeout`.
     */
    readonly code: 'connect-failed' | 'not-tls' | 'tls-failed' | 'not-dropbox-sync' | 'peer-id-mismatch' | 'timeout',
    message: string,
  ) {
    super(message)
    this.name = 'DialError'
  }
}

/** The refusal when another device than the one expected answered. */
export function idMismatch(where: string, got: Uint8Array | null, expected: Uint8Array): DialError {
  return new DialError('peer-id-mismatch', `${where} is device ${got ? shortDeviceId(got) : 'no certificate'}, not the expected ${shortDeviceId(expected)}: refused`)
}

/**
 * How a dial ends, once: `fail` destroys the socket, `succeed` hands it over; the first to come
 * wins, and the deadline fails it with `timeout`.
 */
export function dialEnd(
  socket: Socket,
  timeoutMs: number,
  timeoutText: string,
  resolve: (socket: TLSSocket) => void,
  reject: (error: DialError) => void,
): { fail: (error: DialError) => void; succeed: () => void } {
  let settled = false
  const fail = (error: DialError): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    socket.destroy()
    reject(error)
  }
  const timer = setTimeout(() => fail(new DialError('timeout', timeoutText)), timeoutMs)
  const succeed = (): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    resolve(socket as TLSSocket)
  }
  return { fail, succeed }
}
