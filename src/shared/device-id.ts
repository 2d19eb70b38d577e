// A device ID for people: the 32-byte SHA-256 of the device's certificate (DER) in base32, cut
// into 4 groups of 13 each followed by a Luhn mod 32 check character, shown as 8 groups of 7.
// The idea is Syncthing's; the check is the standard Luhn mod N, computed from the right.
import { BASE32_ALPHABET, base32Value, decodeBase32, encodeBase32 } from './base32'

export const DEVICE_ID_BYTES = 32
/** Characters of the written ID without dashes: 52 of base32, 4 check characters. */
export const DEVICE_ID_LENGTH = 56

const GROUP = 13
const SHOWN_GROUP = 7

export type ParsedDeviceId = { bytes: Uint8Array; error?: undefined } | { bytes?: undefined; error: string }

/** Luhn mod 32 over the base32 values: the check character that makes the group's sum 0 mod 32. */
function checkCharacter(group: string): string {
  let sum = 0
  let factor = 2
  for (let i = group.length - 1; i >= 0; i--) {
    const addend = factor * base32Value(group[i]!)!
    sum += Math.floor(addend / 32) + (addend % 32)
    factor = factor === 2 ? 1 : 2
  }
  return BASE32_ALPHABET[(32 - (sum % 32)) % 32]!
}

/** `AAAQEAY-EAUDAO5-…`: 8 groups of 7, upper case. */
export function formatDeviceId(bytes: Uint8Array): string {
  if (bytes.length !== DEVICE_ID_BYTES) throw new RangeError(`a device ID is ${DEVICE_ID_BYTES} bytes, not ${bytes.length}`)
  const base32 = encodeBase32(bytes)
  let checked = ''
  for (let i = 0; i < base32.length; i += GROUP) {
    const group = base32.slice(i, i + GROUP)
    checked += group + checkCharacter(group)
  }
  const shown: string[] = []
  for (let i = 0; i < checked.length; i += SHOWN_GROUP) shown.push(checked.slice(i, i + SHOWN_GROUP))
  return shown.join('-')
}

/** The first group, for folder names and tight spots in the UI; not unique enough to trust. */
export function shortDeviceId(bytes: Uint8Array): string {
  return formatDeviceId(bytes).slice(0, SHOWN_GROUP)
}

/** Case-insensitive; spaces and dashes anywhere are ignored. */
export function parseDeviceId(text: string): ParsedDeviceId {
  const compact = text.replace(/[\s-]+/g, '').toUpperCase()
  if (compact.length !== DEVICE_ID_LENGTH) {
    return { error: `not a device ID: wrong length: ${compact.length} characters without dashes, where a device ID has ${DEVICE_ID_LENGTH}` }
  }
  const bad = [...compact].find((c) => base32Value(c) === undefined)
  if (bad !== undefined) return { error: `not a device ID: '${bad}' is not a device ID character (A-Z and 2-7)` }
  let base32 = ''
  for (let g = 0; g < DEVICE_ID_LENGTH / (GROUP + 1); g++) {
    const group = compact.slice(g * (GROUP + 1), g * (GROUP + 1) + GROUP)
    if (checkCharacter(group) !== compact[g * (GROUP + 1) + GROUP]) {
      return { error: `check character ${g + 1} does not match: a typo? (device ID ${text.trim()})` }
    }
    base32 += group
  }
  const bytes = decodeBase32(base32)
  // Checks pass but bits past the 256th are set: no certificate hash is written so.
  if (!bytes) return { error: 'not a device ID: its last group holds bits past the 32 bytes of an ID' }
  return { bytes }
}
