// The name a terminal device keeps in its config folder (identity/device-name-file.ts): read back
// as saved, absent or damaged said plainly, and written only when it changes.
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NAME_FILE, readSavedName, saveName } from '../../src/main/engine/identity/device-name-file'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

describe('the saved device name', () => {
  it.each<[string, string | null, string | null | RegExp]>([
    ['none saved', null, null],
    ['a name and a newline', "Bob's laptop\n", "Bob's laptop"],
    ['a name written by hand without a newline', 'studio', 'studio'],
    ['a Windows line end', 'studio\r\n', 'studio'],
    ['empty', '', /name\.txt holds no valid device name/],
    ['a control character', 'a\tb\n', /name\.txt holds no valid device name/],
    ['over 64 bytes', `${'x'.repeat(65)}\n`, /name\.txt holds no valid device name/],
  ])('%s', (_, text, expected) => {
    const config = tempDir('name-')
    if (text !== null) writeFileSync(path.join(config, NAME_FILE), text)
    if (expected instanceof RegExp) expect(() => readSavedName(config)).toThrow(expected)
    else expect(readSavedName(config)).toBe(expected)
  })

  it('is written when it changes, not rewritten at each start, and replaces a damaged file', async () => {
    const config = path.join(tempDir('name-'), 'config-not-made-yet')
    await saveName(config, 'alice')
    expect(readFileSync(path.join(config, NAME_FILE), 'utf8')).toBe('alice\n')
    const written = statSync(path.join(config, NAME_FILE)).ino
    await saveName(config, 'alice')
    expect(statSync(path.join(config, NAME_FILE)).ino).toBe(written)
    await saveName(config, 'Alice at work')
    expect(readSavedName(config)).toBe('Alice at work')
    writeFileSync(path.join(config, NAME_FILE), '\u0000\n')
    await saveName(config, 'alice')
    expect(readSavedName(config)).toBe('alice')
  })
})
