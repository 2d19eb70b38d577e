// RFC 4648 base32 without padding: case-insensitive and free of 0/1/8/9, so it survives being
// read aloud or typed, which is why device IDs and invites use it.

export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

const VALUE = new Map([...BASE32_ALPHABET].map((c, i) => [c, i]))

/** The value of one base32 character (upper case), or undefined for any other. */
export function base32Value(char: string): number | undefined {
  return VALUE.get(char)
}

export function encodeBase32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let acc = 0
  for (const byte of bytes) {
    acc = (acc << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32_ALPHABET[(acc >>> bits) & 31]
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31]
  return out
}

/**
 * Upper-case base32 to bytes; null for a character outside the alphabet, a length no byte count
 * gives, or unused trailing bits that are not zero (so every value has exactly one spelling).
 */
export function decodeBase32(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let bits = 0
  let acc = 0
  let n = 0
  for (const char of text) {
    const value = VALUE.get(char)
    if (value === undefined) return null
    acc = (acc << 5) | value
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[n++] = (acc >>> bits) & 0xff
    }
    acc &= (1 << bits) - 1
  }
  if (bits >= 5 || acc !== 0) return null
  return out
}
