// TLS under every connection (docs/PROTOCOL.md §1.1): TLS 1.3 only, a certificate on both sides,
// ALPN `dropbox-sync/<PROTOCOL_VERSION>`, and no certificate authority: each side pins the other's certificate by
// its SHA-256, the device ID. Everything about TLS lives here: the acceptor's wrapping of an
// accepted TCP socket, the initiator's dial with its pin, and the peer ID of a socket. Nothing
// OpenSSL-only (no PSK, no custom options): Electron's Node runs on BoringSSL.
import type { Socket } from 'node:net'
import { TLSSocket, connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls'
import { formatEndpoint } from '../../../shared/endpoint'
import { peerDeviceId } from '../identity/fingerprint'
import { PROTOCOL_VERSION } from '../protocol/constants'
import { benchAcceptPlain, benchDialPlain, PLAIN } from './bench-plain'
import { dialEnd, DialError, idMismatch, type DialOptions, type TlsCredentials } from './dial'

/** Names the protocol version, so peers of different versions refuse each other in the TLS handshake. */
export const ALPN_PROTOCOL = `dropbox-sync/${PROTOCOL_VERSION}`
const VERSIONS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const

export { DialError, type DialOptions, type TlsCredentials }

/** AES-128-GCM first, as BoringSSL (Electron) orders them: less work per byte than OpenSSL's AES-256-GCM first. */
export const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'

const contexts = new WeakMap<TlsCredentials, SecureContext>()

/** One secure context per identity: the key is parsed once, not per connection. */
function contextOf(credentials: TlsCredentials): SecureContext {
  let context = contexts.get(credentials)
  if (!context) {
    const base = { cert: credentials.certPem, key: credentials.keyPem, ...VERSIONS }
    try {
      context = createSecureContext({ ...base, ciphers: TLS13_SUITES })
    } catch {
      // Where TLS 1.3 suites cannot be set (BoringSSL), the platform's own order.
      context = createSecureContext(base)
    }
    contexts.set(credentials, context)
  }
  return context
}

export { peerDeviceId }

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

/** OpenSSL's and BoringSSL's ways of saying the bytes that came back are not TLS at all. */
const NOT_TLS = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|RECORD_LAYER_FAILURE|HTTP_REQUEST|wrong version number|packet length too long/i
/** The acceptor's alert when it offers no ALPN name we offer: another version of dropbox-sync, most likely. */
const NO_COMMON_ALPN = /NO_APPLICATION_PROTOCOL|no application protocol/i

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
    const { fail, succeed } = dialEnd(socket, options.timeoutMs, `no TLS handshake with ${where} within ${options.timeoutMs} ms`, resolve, reject)
    let connected = false
    socket.once('connect', () => (connected = true))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) return fail(new DialError('connect-failed', error.code ?? error.message))
      const text = `${error.code ?? ''} ${error.message}`
      if (NOT_TLS.test(text)) return fail(new DialError('not-tls', `${where} does not speak TLS 1.3: not a dropbox-sync v${PROTOCOL_VERSION} peer`))
      if (NO_COMMON_ALPN.test(text)) return fail(new DialError('not-dropbox-sync', `${where} speaks TLS but not ${ALPN_PROTOCOL}: another version of dropbox-sync, or another program`))
      fail(new DialError('tls-failed', `TLS with ${where} failed: ${error.code ?? error.message}`))
    })
    socket.once('close', () => fail(new DialError('tls-failed', `${where} closed the connection during the TLS handshake: not a dropbox-sync v${PROTOCOL_VERSION} peer?`)))
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== ALPN_PROTOCOL) return fail(new DialError('not-dropbox-sync', `${where} speaks TLS but not ${ALPN_PROTOCOL}: not a dropbox-sync v${PROTOCOL_VERSION} peer`))
      const id = peerDeviceId(socket)
      if (!id || !id.equals(options.expectId)) return fail(idMismatch(where, id, options.expectId))
      succeed()
    })
  })
}
