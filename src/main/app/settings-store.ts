// Settings on disk: a JSON file with a JSON schema, defaults and versioned migrations, through
// `conf` (which electron-store extends, so the desktop app hands in an electron-store instance and
// the headless app and the tests a plain Conf). A file that cannot be read is set aside, not lost.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import Conf, { type Options, type Schema } from 'conf'
import { deviceNameFromHost, MAX_DEVICE_NAME_LENGTH } from '../../shared/device-name'
import { MAX_LIMIT_RATE_KIB } from '../../shared/limit-rate'
import { MAX_RESCAN_SECONDS } from '../../shared/rescan'
import { MAX_KEEP_DAYS } from '../../shared/keep-days'
import { DEFAULT_SETTINGS, MAX_BUFFER_SLOTS, MAX_WORKERS, SETTINGS_FIELDS, SETTINGS_VERSION, type Settings } from '../../shared/settings'

const CONFIG_NAME = 'config'

/** What the file may hold: the same ranges as the form's schema, checked again on every write. */
export const SETTINGS_JSON_SCHEMA: Schema<Settings> = {
  role: { type: 'string', enum: ['server', 'client'] },
  port: { type: 'integer', minimum: 0, maximum: 65535 },
  listenAddress: { type: 'string', maxLength: 64 },
  serverAddress: { type: 'string', maxLength: 253 },
  serverPort: { type: 'integer', minimum: 1, maximum: 65535 },
  folder: { type: 'string', maxLength: 4096 },
  mirrorFolder: { type: 'string', maxLength: 4096 },
  workers: { type: 'integer', minimum: 1, maximum: MAX_WORKERS },
  bufferSlots: { type: 'integer', minimum: 1, maximum: MAX_BUFFER_SLOTS },
  rescanSeconds: { type: 'integer', minimum: 1, maximum: MAX_RESCAN_SECONDS },
  keepDays: { type: 'integer', minimum: 0, maximum: MAX_KEEP_DAYS },
  limitRateKiB: { type: 'integer', minimum: 0, maximum: MAX_LIMIT_RATE_KIB },
  name: { type: 'string', minLength: 1, maxLength: MAX_DEVICE_NAME_LENGTH },
  invite: { type: 'string', maxLength: 4096 },
  notify: { type: 'boolean' },
}

/** The defaults on this machine: the shared ones, with the host name as the device's name. */
export function machineDefaults(hostName = hostname()): Settings {
  return { ...DEFAULT_SETTINGS, name: deviceNameFromHost(hostName) }
}

/** The CLI's flag names, which people copy into a hand-written settings file, and the fields they mean. */
const CLI_NAMES: Record<string, keyof Settings> = {
  dir: 'folder',
  serverIp: 'serverAddress',
  mirrorDir: 'mirrorFolder',
  buffer: 'bufferSlots',
}

/** Keyed by the version that introduced each change; conf runs those newer than the file's. */
export const SETTINGS_MIGRATIONS: NonNullable<Options<Settings>['migrations']> = {
  '1.0.0': (store) => {
    const raw = store as unknown as Conf<Record<string, unknown>>
    for (const [legacy, field] of Object.entries(CLI_NAMES)) {
      if (!raw.has(legacy)) continue
      const value = raw.get(legacy)
      raw.delete(legacy)
      if (!raw.has(field) || raw.get(field) === DEFAULT_SETTINGS[field]) raw.set(field, value)
    }
  },
}

export function settingsStoreOptions(cwd: string, defaults = machineDefaults()): Options<Settings> {
  return {
    cwd,
    configName: CONFIG_NAME,
    projectName: 'dropbox-sync',
    projectVersion: SETTINGS_VERSION,
    schema: SETTINGS_JSON_SCHEMA,
    defaults,
    migrations: SETTINGS_MIGRATIONS,
  }
}

export type CreateConf = (options: Options<Settings>) => Conf<Settings>

export class SettingsStore {
  constructor(
    private readonly conf: Conf<Settings>,
    /** Set when the file on disk could not be used and was set aside. */
    readonly notice: string | null = null,
    /** What a field nobody has set holds (a file saved before the field existed opens with these). */
    readonly defaults: Settings = machineDefaults(),
  ) {}

  get file(): string {
    return this.conf.path
  }

  /** The folder the settings file is in: it also holds this device's identity and members. */
  get configDir(): string {
    return path.dirname(this.conf.path)
  }

  get(): Settings {
    const stored = this.conf.store
    return Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, stored[field] ?? this.defaults[field]])) as Settings
  }

  /** Writes every field at once (conf validates against the JSON schema and writes atomically). */
  save(settings: Settings): void {
    this.conf.set(settings)
  }
}

/**
 * Opens the settings in `cwd`. A file that is not JSON or breaks the schema is renamed to
 * `config.json.invalid-TIMESTAMP` and the defaults are used, with a notice the UI shows.
 */
export function openSettingsStore(cwd: string, create: CreateConf = (options) => new Conf(options)): SettingsStore {
  const defaults = machineDefaults()
  const options = settingsStoreOptions(cwd, defaults)
  const file = path.join(cwd, `${CONFIG_NAME}.json`)
  // Read first: conf may rewrite the file (defaults, migration marks) before it finds it invalid.
  const original = existsSync(file) ? readFileSync(file) : null
  try {
    return new SettingsStore(create(options), null, defaults)
  } catch (error) {
    if (original === null) throw error
    const aside = `${file}.invalid-${Date.now()}`
    writeFileSync(aside, original)
    rmSync(file, { force: true })
    const why = error instanceof Error ? error.message : String(error)
    return new SettingsStore(create(options), `The settings file could not be used (${why}); it was moved to ${aside} and the defaults are in use.`, defaults)
  }
}
