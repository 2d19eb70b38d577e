// Makes a device's key pair and self-signed certificate with a maintained X.509 library (no
// hand-written ASN.1). Loaded only when an identity is made: the library and its polyfill cost
// start-up time that loading an existing identity does not need.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { webcrypto } from 'node:crypto'

/** Peers pin the certificate itself, so it only has to outlive the install. */
const VALID_YEARS = 20

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

export async function makeSelfSigned(commonName = 'dropbox-sync'): Promise<{ certPem: string; keyPem: string }> {
  const crypto = webcrypto
  x509.cryptoProvider.set(crypto)
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])
  // Backdated a day so a peer whose clock is behind does not see a certificate from the future.
  const notBefore = new Date(Date.now() - 24 * 3600_000)
  const notAfter = new Date(notBefore)
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALID_YEARS)
  // A positive 16-byte serial: the top bit clear, as DER integers are signed.
  const serial = crypto.getRandomValues(new Uint8Array(16))
  serial[0]! &= 0x7f
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(serial).toString('hex'),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  })
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey)
  return { certPem: `${cert.toString('pem')}\n`, keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n` }
}
