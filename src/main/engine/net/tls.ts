// TLS under every connection (docs/PROTOCOL.md §2): TLS 1.3 only, a certificate on both sides,
// ALPN `dropbox-sync/4`, and no certificate authority: each side pins the other's certificate by
// its SHA-256, the device ID. Everything about TLS lives here: the acceptor's wrapping of an
// accepted TCP socket, the initiator's dial with its pin, and the peer ID of a socket. Nothing
// OpenSSL-only (no PSK, no custom options): Electron's Node runs on BoringSSL.
import { X509Certificate } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'
import { TLSSocket, connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls'
import { shortDeviceId } from '../../../shared/device-id'
import { formatEndpoint } from '../../../shared/endpoint'
import { certificateDeviceId, peerDeviceId } from '../identity/fingerprint'

export const ALPN_PROTOCOL = 'dropbox-sync/4'
const VERSIONS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const

// Set only by the bench's own CLI bundle (bench/build-cli.mjs), to time the protocol without TLS
// in the same run; the shipped bundles never define it, so PLAIN is false there.
declare const __DBS_BENCH_PLAIN_TCP__: boolean | undefined
const PLAIN = typeof __DBS_BENCH_PLAIN_TCP__ !== 'undefined' && __DBS_BENCH_PLAIN_TCP__

/** A device's certificate and key (PEM), as loadOrCreateIdentity gives them. */
export interface TlsCredentials {
  certPem: string
  keyPem: string
}

const contexts = new WeakMap<TlsCredentials, SecureContext>()

/** One secure context per identity: the key is parsed once, not per connection. */
function contextOf(credentials: TlsCredentials): SecureContext {
  let context = contexts.get(credentials)
  if (!context) {
    context = createSecureContext({ cert: credentials.certPem, key: credentials.keyPem, ...VERSIONS })
    contexts.set(credentials, context)
  }
  return context
}

export { peerDeviceId }

/** The short form of an ID for messages: `AAAQEAY`. */
export function shortId(id: Uint8Array): string {
  return shortDeviceId(id)
}

/**
 * The acceptor's side: wraps an accepted TCP socket in TLS. `secure` gets the socket and the
 * peer's device ID once the handshake is done and the peer proved a certificate and agreed on
 * our ALPN; a peer that did not (no certificate, an older peer, another protocol) is destroyed
 * before a byte of the protocol is read. The handshake must end within `timeoutMs`.
 */
export function acceptTls(raw: Socket, credentials: TlsCredentials, timeoutMs: number, secure: (socket: TLSSocket, peerId: Buffer) => void): TLSSocket {
  if (PLAIN) return benchAcceptPlain(raw, credentials, timeoutMs, secure)
  const socket = new TLSSocket(raw, {
    isServer: true,
    secureContext: contextOf(credentials),
    requestCert: true,
    // No CA: the peer's certificate is judged by its hash, by whoever owns the connection.
    rejectUnauthorized: false,
    ALPNProtocols: [ALPN_PROTOCOL],
  })
  const timer = setTimeout(() => socket.destroy(), timeoutMs)
  socket.once('close', () => clearTimeout(timer))
  socket.on('error', () => socket.destroy())
  socket.once('secure', () => {
    clearTimeout(timer)
    const peerId = peerDeviceId(socket)
    if (!peerId || socket.alpnProtocol !== ALPN_PROTOCOL) {
      socket.destroy()
      return
    }
    secure(socket, peerId)
  })
  return socket
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

export interface DialOptions {
  host: string
  port: number
  credentials: TlsCredentials
  /** The device ID the other side must prove (32 bytes). */
  expectId: Uint8Array
  timeoutMs: number
}

/** OpenSSL's and BoringSSL's ways of saying the bytes that came back are not TLS at all. */
const NOT_TLS = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|RECORD_LAYER_FAILURE|HTTP_REQUEST|wrong version number|packet length too long/i

/**
 * The initiator's side: connects, does TLS with our certificate, and checks the pin on
 * `secureConnect`, before any protocol byte is written. Resolves with the socket once the other
 * side is the device expected. TLS 1.3: the acceptor judges our certificate after this
 * resolves, so a refusal still arrives later (an ERROR frame, or the connection closed).
 */
export function dialTls(options: DialOptions): Promise<TLSSocket> {
  if (PLAIN) return benchDialPlain(options)
  const where = formatEndpoint(options.host, options.port)
  return new Promise((resolve, reject) => {
    let settled = false
    const socket = tlsConnect({
      host: options.host,
      port: options.port,
      secureContext: contextOf(options.credentials),
      ...VERSIONS,
      rejectUnauthorized: false,
      ALPNProtocols: [ALPN_PROTOCOL],
      // No SNI: peers are found by address and proved by their certificate, not by a name.
      servername: '',
    })
    socket.setNoDelay(true)
    const fail = (error: DialError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    const timer = setTimeout(() => fail(new DialError('timeout', `no TLS handshake with ${where} within ${options.timeoutMs} ms`)), options.timeoutMs)
    let connected = false
    socket.once('connect', () => (connected = true))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) return fail(new DialError('connect-failed', error.code ?? error.message))
      const text = `${error.code ?? ''} ${error.message}`
      if (NOT_TLS.test(text)) return fail(new DialError('not-tls', `${where} does not speak TLS 1.3: not a dropbox-sync v4 peer`))
      fail(new DialError('tls-failed', `TLS with ${where} failed: ${error.code ?? error.message}`))
    })
    socket.once('close', () => fail(new DialError('tls-failed', `${where} closed the connection during the TLS handshake: not a dropbox-sync v4 peer?`)))
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== ALPN_PROTOCOL) return fail(new DialError('not-dropbox-sync', `${where} speaks TLS but not ${ALPN_PROTOCOL}: not a dropbox-sync v4 peer`))
      const id = peerDeviceId(socket)
      if (!id || !id.equals(options.expectId)) {
        const got = id ? shortId(id) : 'no certificate'
        return fail(new DialError('peer-id-mismatch', `${where} is device ${got}, not the expected ${shortId(options.expectId)}: refused`))
      }
      settled = true
      clearTimeout(timer)
      resolve(socket)
    })
  })
}

// The bench's plain TCP (PLAIN only): each side writes its own device ID first, unproven, and
// takes the other's 32 bytes as its ID; the frames and the pins compared above are the same.
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

function benchAcceptPlain(raw: Socket, credentials: TlsCredentials, timeoutMs: number, secure: (socket: TLSSocket, peerId: Buffer) => void): TLSSocket {
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

function benchDialPlain(options: DialOptions): Promise<TLSSocket> {
  const where = formatEndpoint(options.host, options.port)
  return new Promise((resolve, reject) => {
    let settled = false
    const socket = netConnect({ host: options.host, port: options.port })
    socket.setNoDelay(true)
    const fail = (error: DialError): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    const timer = setTimeout(() => fail(new DialError('timeout', `no ID from ${where} within ${options.timeoutMs} ms`)), options.timeoutMs)
    socket.on('error', (error: NodeJS.ErrnoException) => fail(new DialError('connect-failed', error.code ?? error.message)))
    socket.once('close', () => fail(new DialError('tls-failed', `${where} closed the connection before its ID`)))
    socket.once('connect', () => socket.write(plainIdOf(options.credentials)))
    readPlainId(socket, (id) => {
      if (!id.equals(options.expectId)) return fail(new DialError('peer-id-mismatch', `${where} is device ${shortId(id)}, not the expected ${shortId(options.expectId)}: refused`))
      settled = true
      clearTimeout(timer)
      resolve(socket as TLSSocket)
    })
  })
}

/**
 * Whether the address answers HTTP: asked only after a dial found no TLS there, to tell a web
 * server's port (a wrong address) from anything else. A plain HEAD request; false on silence.
 */
export function answersHttp(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port })
    let got = ''
    const done = (yes: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(yes)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.on('error', () => done(false))
    socket.on('close', () => done(/^HTTP\/\d/.test(got)))
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      if (got.length >= 5) done(/^HTTP\/\d/.test(got))
    })
    socket.once('connect', () => socket.write(`HEAD / HTTP/1.0\r\nHost: ${host}\r\n\r\n`))
  })
}
