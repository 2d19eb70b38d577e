import { describe, expect, it } from 'vitest'
import { ErrorCodes, ProtocolError, errorCodeName, type ErrorCodeName } from '../../src/main/engine/protocol/errors'

describe('error codes', () => {
  it('numbers are distinct and map back to their names', () => {
    const entries = Object.entries(ErrorCodes) as Array<[ErrorCodeName, number]>
    expect(new Set(entries.map(([, n]) => n)).size).toBe(entries.length)
    for (const [name, code] of entries) {
      expect(Number.isInteger(code)).toBe(true)
      expect(code).toBeGreaterThan(0)
      expect(code).toBeLessThanOrEqual(0xffff) // travels as a u16 in ERROR
      expect(errorCodeName(code)).toBe(name)
    }
  })

  it('the numbers of PROTOCOL.md §8 (later codes may be added, these never change)', () => {
    expect(ErrorCodes).toMatchObject({
      'bad-frame': 1,
      'frame-too-large': 2,
      'unknown-type': 3,
      'version-mismatch': 4,
      'hello-timeout': 5,
      'bad-address': 6,
      duplicate: 7,
      'unexpected-message': 8,
      'slow-consumer': 9,
      'heartbeat-timeout': 10,
      'shutting-down': 11,
      'already-logged-on': 12,
      internal: 13,
    })
  })

  it('unknown numbers (from a newer peer) are named error-<n>', () => {
    const known = new Set<number>(Object.values(ErrorCodes))
    for (const n of [0, 999, 0xfffe, 0xffff]) {
      expect(known.has(n)).toBe(false)
      expect(errorCodeName(n)).toBe(`error-${n}`)
    }
    const next = Math.max(...known) + 1
    expect(errorCodeName(next)).toBe(`error-${next}`)
  })

  it('ProtocolError carries its code, name and message and is an Error', () => {
    const error = new ProtocolError('bad-address', 'nope')
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error.code).toBe('bad-address')
    expect(error.name).toBe('ProtocolError')
    expect(error.message).toBe('nope')
    expect(String(error)).toBe('ProtocolError: nope')
  })
})
