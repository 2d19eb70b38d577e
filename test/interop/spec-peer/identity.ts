// Written from docs/PROTOCOL.md (protocol 5) alone, §16: device identity, device ID, invites.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto'
import type { Endpoint } from './wire'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

export interface Identity {
  keyPem: string
  certPem: string
  /** SHA-256 of the certificate's DER (§16.2). */
  id: Buffer
}

const KEY_KINDS = {
  p256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  p384: { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
  ed25519: { name: 'Ed25519' },
}

/**
 * §16.1: ECDSA P-256, ECDSA-SHA256, CN=dropbox-sync, random positive serial, a day back, 20 years.
 * Other key kinds only to ask the real CLI what it accepts (the spec names none but P-256).
 */
export async function makeIdentity(kind: keyof typeof KEY_KINDS = 'p256'): Promise<Identity> {
  const alg = KEY_KINDS[kind]
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x01
  const notBefore = new Date(Date.now() - 86_400_000)
  const notAfter = new Date(notBefore.getTime() + 20 * 365 * 86_400_000)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=dropbox-sync',
    notBefore,
    notAfter,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: alg,
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string
  return { keyPem, certPem: cert.toString('pem'), id: deviceIdOf(Buffer.from(cert.rawData)) }
}

export const deviceIdOf = (der: Buffer): Buffer => createHash('sha256').update(der).digest()

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32(bytes: Buffer): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

export function unbase32(text: string): { bytes: Buffer; spareBitsZero: boolean } {
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const ch of text.toUpperCase()) {
    const v = ALPHABET.indexOf(ch)
    if (v < 0) throw new Error(`not base32: ${ch}`)
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return { bytes: Buffer.from(out), spareBitsZero: (value & ((1 << bits) - 1)) === 0 }
}

/** Luhn mod 32 from the last character: factors 2, 1, 2, …; each product adds ⌊p/32⌋ + p mod 32. */
function checkChar(group: string): string {
  let sum = 0
  let factor = 2
  for (let i = group.length - 1; i >= 0; i--) {
    const p = ALPHABET.indexOf(group[i]!) * factor
    sum += Math.floor(p / 32) + (p % 32)
    factor = factor === 2 ? 1 : 2
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!
}

/** §16.2: base32, 4 groups of 13 each with its check character, shown as 8 groups of 7. */
export function displayId(id: Buffer): string {
  const b = base32(id)
  let withChecks = ''
  for (let g = 0; g < 4; g++) {
    const group = b.slice(g * 13, g * 13 + 13)
    withChecks += group + checkChar(group)
  }
  return withChecks.match(/.{7}/g)!.join('-')
}

export interface Invite {
  serverId: Buffer
  token: Buffer
  expires: number
  addresses: Array<Endpoint | { host: string; port: number }>
}

/** §16.3: "dbs1-" base32-lower(payload || first 4 bytes of SHA-256(payload)). */
export function readInvite(text: string, nowMs = Date.now()): Invite {
  const clean = text.replace(/\s+/g, '').toLowerCase()
  if (!clean.startsWith('dbs1-')) throw new Error('not an invite')
  const { bytes, spareBitsZero } = unbase32(clean.slice(5))
  if (!spareBitsZero || bytes.length < 4) throw new Error('mistyped')
  const payload = bytes.subarray(0, bytes.length - 4)
  if (!createHash('sha256').update(payload).digest().subarray(0, 4).equals(bytes.subarray(bytes.length - 4))) throw new Error('mistyped')
  let at = 0
  const take = (n: number): Buffer => {
    if (at + n > payload.length) throw new Error('not an invite: too short')
    const out = payload.subarray(at, at + n)
    at += n
    return out
  }
  const serverId = Buffer.from(take(32))
  const token = Buffer.from(take(16))
  const expires = take(4).readUInt32BE(0)
  const count = take(1)[0]!
  if (count < 1 || count > 16) throw new Error('not an invite: address count')
  const addresses: Invite['addresses'] = []
  for (let i = 0; i < count; i++) {
    const kind = take(1)[0]!
    if (kind === 4) addresses.push({ ip: [...take(4)].join('.'), port: take(2).readUInt16BE(0) })
    else if (kind === 6) {
      const raw = take(16)
      const groups: string[] = []
      for (let g = 0; g < 16; g += 2) groups.push(raw.readUInt16BE(g).toString(16))
      addresses.push({ ip: groups.join(':'), port: take(2).readUInt16BE(0) })
    } else if (kind === 0) {
      const n = take(1)[0]!
      addresses.push({ host: take(n).toString('ascii'), port: take(2).readUInt16BE(0) })
    } else throw new Error(`not an invite: address kind ${kind}`)
  }
  if (at !== payload.length) throw new Error('not an invite: bytes after the last address')
  if (nowMs / 1000 >= expires) throw new Error('expired')
  return { serverId, token, expires, addresses }
}
