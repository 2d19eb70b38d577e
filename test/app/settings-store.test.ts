// Settings on disk through conf: defaults, validation on write, persistence across restarts,
// migrations, and a broken file set aside rather than crashing the app.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { hostname } from 'node:os'
import { machineDefaults, openSettingsStore } from '../../src/main/app/settings-store'
import { deviceNameFromHost } from '../../src/shared/device-name'
import { checkSettings, DEFAULT_SETTINGS, SETTINGS_VERSION, type Settings } from '../../src/shared/settings'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

const CLIENT: Settings = {
  role: 'client',
  port: 4100,
  listenAddress: '192.168.1.21',
  serverAddress: '192.168.1.20',
  serverPort: 4000,
  folder: '/home/me/Shared',
  mirrorFolder: '',
  workers: 8,
  bufferSlots: 128,
  rescanSeconds: 60,
  keepDays: 7,
  limitRateKiB: 2048,
  name: 'studio laptop',
  invite: '',
  notify: true,
}

/** The defaults on this machine: the shared ones with the host name as the device name. */
const DEFAULTS: Settings = { ...DEFAULT_SETTINGS, name: deviceNameFromHost(hostname()) }

describe('the settings store', () => {
  it('starts from the defaults in an empty folder, the host name as the device name', () => {
    const store = openSettingsStore(tempDir('settings-'))
    expect(store.get()).toEqual(DEFAULTS)
    expect(store.get().name).toBe(deviceNameFromHost(hostname()))
    expect(store.get().invite).toBe('')
    expect(store.notice).toBeNull()
  })

  it('opens a file saved before the device name and the invite were settings with their defaults', () => {
    const dir = tempDir('settings-')
    const { name: _n, invite: _i, ...before } = CLIENT
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...before, __internal__: { migrations: { version: SETTINGS_VERSION } } }))
    const store = openSettingsStore(dir)
    expect(store.get()).toEqual({ ...CLIENT, name: deviceNameFromHost(hostname()), invite: '' })
    expect(store.notice).toBeNull()
  })

  it('keeps a device name and an invite, and refuses an empty name in the file', () => {
    const dir = tempDir('settings-')
    const store = openSettingsStore(dir)
    store.save({ ...CLIENT, invite: 'dbs1-abc' })
    expect(openSettingsStore(dir).get()).toMatchObject({ name: 'studio laptop', invite: 'dbs1-abc' })
    expect(() => store.save({ ...CLIENT, name: '' })).toThrow(/name/)
    expect(() => store.save({ ...CLIENT, name: 'x'.repeat(65) })).toThrow(/name/)
  })

  it('makes a device name of any host name: control characters out, 64 characters at most, never empty', () => {
    expect(machineDefaults('studio\tlaptop\n').name).toBe('studio laptop')
    expect(machineDefaults('h'.repeat(100)).name).toBe('h'.repeat(64))
    expect(machineDefaults('').name).toBe('dropbox-sync')
    expect(machineDefaults(' \u0007 ').name).toBe('dropbox-sync')
    for (const name of ['studio\tlaptop', 'h'.repeat(100), '', '😀'.repeat(40)]) expect(checkSettings({ ...CLIENT, name: machineDefaults(name).name }).ok).toBe(true)
  })

  it('judges the device name: trimmed, 1 to 64 characters, no control characters', () => {
    expect(checkSettings({ ...CLIENT, name: '  studio laptop  ' })).toEqual({ ok: true, settings: { ...CLIENT, name: 'studio laptop' } })
    expect(checkSettings({ ...CLIENT, name: 'x'.repeat(64) }).ok).toBe(true)
    const refused = (name: string) => {
      const check = checkSettings({ ...CLIENT, name })
      return check.ok ? null : check.errors.name
    }
    expect(refused('   ')).toMatch(/Give this device a name/)
    expect(refused('x'.repeat(65))).toMatch(/longer than 64/)
    expect(refused('two\nlines')).toMatch(/control characters/)
    // A server uses the name too.
    expect(checkSettings({ ...CLIENT, role: 'server', name: '' }).ok).toBe(false)
  })

  it('keeps an invite without the white space a chat program wraps it with', () => {
    const check = checkSettings({ ...CLIENT, invite: ' dbs1-abcd\n efgh ' })
    expect(check).toEqual({ ok: true, settings: { ...CLIENT, invite: 'dbs1-abcdefgh' } })
  })

  it('keeps what was saved for the next start, in DIR/config.json with its version', () => {
    const dir = tempDir('settings-')
    openSettingsStore(dir).save(CLIENT)
    const reopened = openSettingsStore(dir)
    expect(reopened.get()).toEqual(CLIENT)
    expect(reopened.file).toBe(path.join(dir, 'config.json'))
    const raw = JSON.parse(readFileSync(reopened.file, 'utf8'))
    expect(raw.__internal__.migrations.version).toBe(SETTINGS_VERSION)
  })

  it('refuses to write a value outside the schema, and keeps the old one', () => {
    const dir = tempDir('settings-')
    const store = openSettingsStore(dir)
    store.save(CLIENT)
    expect(() => store.save({ ...CLIENT, workers: 0 })).toThrow(/workers/)
    expect(() => store.save({ ...CLIENT, port: 70000 })).toThrow(/port/)
    expect(openSettingsStore(dir).get()).toEqual(CLIENT)
  })

  it('opens a file saved before the rescan interval was a setting with its default', () => {
    const dir = tempDir('settings-')
    const { rescanSeconds: _, ...before } = CLIENT
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...before, __internal__: { migrations: { version: SETTINGS_VERSION } } }))
    expect(openSettingsStore(dir).get()).toEqual({ ...CLIENT, rescanSeconds: DEFAULT_SETTINGS.rescanSeconds })
    expect(DEFAULT_SETTINGS.rescanSeconds).toBe(600)
  })

  it('opens a file saved before Keep history was a setting with its default, 30 days', () => {
    const dir = tempDir('settings-')
    const { keepDays: _, ...before } = CLIENT
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...before, __internal__: { migrations: { version: SETTINGS_VERSION } } }))
    expect(openSettingsStore(dir).get()).toEqual({ ...CLIENT, keepDays: 30 })
  })

  it.each([
    [0, true],
    [30, true],
    [3650, true],
    [-1, false],
    [3651, false],
    [1.5, false],
    ['30', false],
  ])('judges Keep history %j days: whole days from 0 (keep nothing) to 3650, said in one sentence', (keepDays, ok) => {
    const check = checkSettings({ ...CLIENT, keepDays })
    expect(check.ok).toBe(ok)
    if (!check.ok) expect(check.errors).toEqual({ keepDays: 'Keep history must be a whole number of days from 0 (keep nothing) to 3650.' })
  })

  it('opens a file saved before the bandwidth limit was a setting with no limit, and refuses a bad one in the file', () => {
    const dir = tempDir('settings-')
    const { limitRateKiB: _, ...before } = CLIENT
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...before, __internal__: { migrations: { version: SETTINGS_VERSION } } }))
    const store = openSettingsStore(dir)
    expect(store.get()).toEqual({ ...CLIENT, limitRateKiB: 0 })
    expect(DEFAULT_SETTINGS.limitRateKiB).toBe(0)
    for (const limitRateKiB of [-1, 1.5, 10_000_001]) expect(() => store.save({ ...CLIENT, limitRateKiB })).toThrow(/limitRateKiB/)
  })

  it.each([
    [-1, false],
    [1.5, false],
    [Number.NaN, false],
    [10_000_001, false],
    [0, true],
    [1, true],
    [10_000_000, true],
  ])('judges a bandwidth limit of %s KiB/s (ok: %s) with one message naming the field', (limitRateKiB, ok) => {
    const check = checkSettings({ ...CLIENT, limitRateKiB })
    expect(check.ok).toBe(ok)
    if (!check.ok) expect(check.errors).toEqual({ limitRateKiB: 'The bandwidth limit must be a whole number of KiB/s from 0 (no limit) to 10000000.' })
  })

  it('opens a file saved before the listen address was a setting with every interface', () => {
    const dir = tempDir('settings-')
    const { listenAddress: _, ...before } = CLIENT
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...before, __internal__: { migrations: { version: SETTINGS_VERSION } } }))
    expect(openSettingsStore(dir).get()).toEqual({ ...CLIENT, listenAddress: '' })
    expect(DEFAULT_SETTINGS.listenAddress).toBe('')
  })

  it('migrates a hand-written file that uses the CLI flag names', () => {
    const dir = tempDir('settings-')
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ role: 'client', dir: '/data/share', serverIp: '10.0.0.5', serverPort: 4000, buffer: 16 }))
    const settings = openSettingsStore(dir).get()
    expect(settings).toMatchObject({ folder: '/data/share', serverAddress: '10.0.0.5', serverPort: 4000, bufferSlots: 16 })
    const raw = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))
    expect(raw).not.toHaveProperty('dir')
    expect(raw).not.toHaveProperty('serverIp')
  })

  it.each([
    ['not JSON', '{ role: server'],
    ['outside the schema', JSON.stringify({ role: 'router', port: -1 })],
  ])('sets aside a file that is %s and starts from the defaults, saying so', (_what, content) => {
    const dir = tempDir('settings-')
    writeFileSync(path.join(dir, 'config.json'), content)
    const store = openSettingsStore(dir)
    expect(store.get()).toEqual(DEFAULTS)
    expect(store.notice).toMatch(/moved to .*config\.json\.invalid-\d+/)
    const aside = readdirSync(dir).find((name) => name.startsWith('config.json.invalid-'))!
    expect(readFileSync(path.join(dir, aside), 'utf8')).toBe(content)
    expect(existsSync(path.join(dir, 'config.json'))).toBe(true)
  })
})
