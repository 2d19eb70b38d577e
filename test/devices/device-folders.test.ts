// Which folder is whose: named once, kept across renames and restarts, never shared by two devices.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DeviceFolders } from '../../src/main/engine/mirror/device-folders'
import { formatDeviceId } from '../../src/shared/device-id'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

/** Device IDs (hex) that share their first 5 bytes: their short forms (35 bits) are the same. */
const A = `0123456789${'aa'.repeat(27)}`
const B = `0123456789${'bb'.repeat(27)}`
const short = (hex: string): string => formatDeviceId(Buffer.from(hex, 'hex')).slice(0, 7)

describe('DeviceFolders', () => {
  it('names a folder once; a renamed device keeps it, after a restart too', async () => {
    const file = path.join(tempDir('devices-'), 'state', 'devices.json')
    const devices = new DeviceFolders(file)
    devices.load()
    expect(devices.assign(A, "Bob's laptop").folder).toBe(`Bobs-laptop-${short(A)}`)
    expect(devices.assign(A, 'Renamed').folder).toBe(`Bobs-laptop-${short(A)}`)
    // Named, not kept (its folder never made): not written.
    devices.assign(B, 'never answered')
    await devices.keep(A)
    const again = new DeviceFolders(file)
    again.load()
    expect(again.get(A)?.folder).toBe(`Bobs-laptop-${short(A)}`)
    expect(again.assign(A, 'Renamed').folder).toBe(`Bobs-laptop-${short(A)}`)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, devices: { [A]: { folder: `Bobs-laptop-${short(A)}`, name: "Bob's laptop" } } })
  })

  it('gives devices whose safe names and short IDs collide distinct folders, ignoring case', () => {
    expect(short(A)).toBe(short(B))
    const devices = new DeviceFolders(path.join(tempDir('devices-'), 'devices.json'))
    const first = devices.assign(A, 'Laptop').folder
    const second = devices.assign(B, 'laptop!').folder
    expect(first).toBe(`Laptop-${short(A)}`)
    expect(second.toLowerCase()).not.toBe(first.toLowerCase())
    expect(second.startsWith(`laptop-${short(B)}`)).toBe(true)
    expect(second.length).toBeGreaterThan(first.length)
  })

  it('takes an unreadable table for an empty one', () => {
    const dir = tempDir('devices-')
    const devices = new DeviceFolders(path.join(dir, 'missing', 'devices.json'))
    devices.load()
    expect(devices.get(A)).toBeUndefined()
  })
})
