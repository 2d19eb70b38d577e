// Plain TCP in place of TLS, for the bench alone (bench/build-cli.mjs turns it on; shipped builds
// compile it out): each side sends its device ID first, unproven; frames and pins are unchanged.
import { X509Certificate } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { formatEndpoint } from '../../../shared/endpoint'
import { certificateDeviceId } from '../identity/fingerprint'
import { dialEnd, DialError, idMismatch, type DialOptions, type TlsCredentials } from './dial'

declare const __DBS_BENCH_PLAIN_TCP__: boolean | undefined
export const PLAIN = typeof __DBS_BENCH_PLAIN_TCP__ !== 'undefined' && __DBS_BENCH_PLAIN_TCP__

const ID_BYTES = 32
const plainIds = new WeakMap<TlsCredentials, Buffer>()

function plainIdOf(credentials: TlsCredentials): Buffer {
  let id = plainIds.get(credentials)
  if (!id) {
    id = certificateDeviceId(new X509Certificate(credentials.certPem).raw)
    plainIds.set(credentials, id)
  }
  return id
}

/** Reads the peer's ID; bytes after it stay buffered for whoever reads the socket next. */
function readPlainId(socket: Socket, got: (id: Buffer) => void): void {
  const onReadable = (): void => {
    const id = socket.read(ID_BYTES) as Buffer | null
    if (id === null) return
    // With this listener gone, the stream flows again once a 'data' listener is added.
    socket.off('readable', onReadable)
    if (id.length !== ID_BYTES) socket.destroy()
    else got(id)
  }
  socket.on('readable', onReadable)
}

export function benchAcceptPlain(raw: Socket, credentials: TlsCredentials, timeoutMs: number, secure: (socket: TLSSocket, peerId: Buffer) => void): TLSSocket {
  const timer = setTimeout(() => raw.destroy(), timeoutMs)
  raw.once('close', () => clearTimeout(timer))
  raw.on('error', () => raw.destroy())
  raw.write(plainIdOf(credentials))
  readPlainId(raw, (peerId) => {
    clearTimeout(timer)
    secure(raw as TLSSocket, peerId)
  })
  return raw as TLSSocket
}

export function benchDialPlain(options: DialOptions): Promise<TLSSocket> {
  const where = formatEndpoint(options.host, options.port)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host, port: options.port })
    socket.setNoDelay(true)
    const { fail, succeed } = dialEnd(socket, options.timeoutMs, `no ID from ${where} within ${options.timeoutMs} ms`, resolve, reject)
    socket.on('error', (error: NodeJS.ErrnoException) => fail(new DialError('connect-failed', error.code ?? error.message)))
    socket.once('close', () => fail(new DialError('tls-failed', `${where} closed the connection before its ID`)))
    socket.once('connect', () => socket.write(plainIdOf(options.credentials)))
    readPlainId(socket, (id) => (id.equals(options.expectId) ? succeed() : fail(idMismatch(where, id, options.expectId))))
  })
}
