// A device's ID is the SHA-256 of its certificate's DER: what TLS proves, checked by pinning.
import { createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'

export function certificateDeviceId(der: Uint8Array): Buffer {
  return createHash('sha256').update(der).digest()
}

/** The device ID the peer of a finished handshake proved, or null when it showed no certificate. */
export function peerDeviceId(socket: TLSSocket): Buffer | null {
  // The certificate alone: getPeerCertificate() would also parse and hash it three ways.
  const raw = socket.getPeerX509Certificate()?.raw
  return raw && raw.length > 0 ? certificateDeviceId(raw) : null
}
