// A device's name as the first half of its mirror folder's name: safe on every file system.
import { describe, expect, it } from 'vitest'
import { deviceFolderName, MAX_SAFE_NAME, safeDeviceName, UNNAMED_DEVICE } from '../../src/shared/paths'

const CASES: Array<[string, string]> = [
  ["Bob's laptop", 'Bobs-laptop'],
  ['alice', 'alice'],
  ['my-box_2.lan', 'my-box_2.lan'],
  ['  two   spaces\tand\ta tab ', 'two-spaces-and-a-tab'],
  ['Zoë’s MacBook Pro', 'Zoes-MacBook-Pro'],
  ['Ångström', 'Angstrom'],
  ['Straße', 'Strasse'],
  ['Søren Łukasz Œuvre Æsir', 'Soren-Lukasz-OEuvre-AEsir'],
  ['ﬁle', 'file'],
  ['a/b\\c:d*e?f"g<h>i|j', 'abcdefghij'],
  ['..', UNNAMED_DEVICE],
  ['.', UNNAMED_DEVICE],
  ['.hidden', 'hidden'],
  ['...dots...', 'dots'],
  ['name.', 'name'],
  ['-dash-', 'dash'],
  ['', UNNAMED_DEVICE],
  ['   ', UNNAMED_DEVICE],
  ['日本語のパソコン', UNNAMED_DEVICE],
  ['PC 日本 2', 'PC-2'],
  ['emoji 🚀 box', 'emoji-box'],
  ['nul\u0000and\u001fcontrol', 'nulandcontrol'],
  ['CON', 'CON'],
  ['x'.repeat(100), 'x'.repeat(MAX_SAFE_NAME)],
  [`${'a'.repeat(39)} b`, 'a'.repeat(39)],
]

describe('safeDeviceName', () => {
  it.each(CASES)('%j → %j', (name, safe) => {
    expect(safeDeviceName(name)).toBe(safe)
  })

  it('only ever gives safe names', () => {
    const alphabet = ['a', 'Z', '9', '.', '-', '_', ' ', '/', '\\', ':', 'é', '日', '🚀', '\u0000', '\t', "'"]
    for (let seed = 1; seed < 5000; seed++) {
      let name = ''
      for (let n = seed, i = 0; i < 1 + (seed % 50); i++, n = (n * 1103515245 + 12345) >>> 0) name += alphabet[n % alphabet.length]
      const safe = safeDeviceName(name)
      expect(safe).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/)
      expect(safe.length).toBeGreaterThan(0)
      expect(safe.length).toBeLessThanOrEqual(MAX_SAFE_NAME)
      expect(safe.endsWith('.')).toBe(false)
      expect(safe).not.toBe('..')
    }
  })
})

describe('deviceFolderName', () => {
  const id = 'MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-NSGYCYL-TMRWGC4'
  it('is NAME-SHORTID, the short ID being the first group of the device ID', () => {
    expect(deviceFolderName("Bob's laptop", id)).toBe('Bobs-laptop-MFZWI3D')
  })
  it('takes more of the ID when asked (a collision)', () => {
    expect(deviceFolderName("Bob's laptop", id, 9)).toBe('Bobs-laptop-MFZWI3DBO')
  })
})
