// Where each device's mirror lives: its folder in the mirror root and its manifest file, put on
// record (devices.json) once the folder is made. A device seen for the first time may take over
// the `IP_PORT` folder an earlier version named after its address.
import { existsSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import path from 'node:path'
import { journalOf } from './manifest-file'
import { endpointKey, type Endpoint } from '../../../shared/endpoint'
import { mirrorFolderName } from '../../../shared/paths'
import { isFolderAt, lstatOrWhy } from '../folder/lstat-or-why'
import { DeviceFolders, DEVICES_FILE, type DeviceFolder } from './device-folders'

export interface DeviceMirrorsOptions {
  mirrorRoot: string
  /** MIRRORROOT/.dropbox-sync: devices.json and the manifests live below it. */
  stateDir: string
  /** An I/O problem to say (as `io-error`); never thrown. */
  problem: (message: string) => void
}

/** A device's mirror as named now; `adopt` runs before its manifest is first loaded. */
export interface DeviceMirror {
  folder: string
  manifestFile: string
  adopt: () => Promise<void>
}

export class DeviceMirrors {
  /** Which mirror folder is whose (MIRRORROOT/.dropbox-sync/devices.json). */
  private readonly devices: DeviceFolders

  constructor(private readonly options: DeviceMirrorsOptions) {
    this.devices = new DeviceFolders(path.join(options.stateDir, DEVICES_FILE))
    this.devices.load()
  }

  /** Whether the device's folder is on record. */
  has(id: string): boolean {
    return this.devices.has(id)
  }

  /** Every device on record, by ID (hex). */
  recorded(): Array<[string, DeviceFolder]> {
    return this.devices.recorded()
  }

  /** The device's mirror, its folder named now if it is seen for the first time. */
  assign(id: string, name: string, endpoint: Endpoint): DeviceMirror {
    const known = this.devices.has(id)
    const entry = this.devices.assign(id, name)
    return {
      folder: path.join(this.options.mirrorRoot, entry.folder),
      manifestFile: this.manifestFile(entry.folder),
      adopt: async () => {
        // Seen for the first time: its folder is named now, and may be one an earlier version left.
        if (known) return
        if (await this.adoptLegacy(entry, mirrorFolderName(endpoint.ip, endpoint.port), endpointKey(endpoint))) await this.keep(id)
      },
    }
  }

  /** Puts the device's folder on record (devices.json); a failure is said, and the mirror goes on. */
  async keep(id: string): Promise<void> {
    await this.devices.keep(id).catch((error: unknown) => this.options.problem(`saving ${DEVICES_FILE}: ${String(error)}`))
  }

  private manifestFile(folderName: string): string {
    return path.join(this.options.stateDir, 'mirrors', `${folderName}.json`)
  }

  /**
   * A mirror folder an earlier version named after this address (`IP_PORT`) becomes this
   * device's, renamed (with its manifest), when the device is seen for the first time and its
   * own folder does not exist yet; otherwise it is left where it is.
   */
  private async adoptLegacy(entry: DeviceFolder, legacy: string, key: string): Promise<boolean> {
    const from = path.join(this.options.mirrorRoot, legacy)
    const to = path.join(this.options.mirrorRoot, entry.folder)
    if (!isFolderAt(from) || lstatOrWhy(to) !== 'absent') return false
    try {
      // The record first: a crash in between leaves the folder to be adopted again next time.
      const manifest = this.manifestFile(legacy)
      const target = this.manifestFile(entry.folder)
      if (existsSync(manifest) && !existsSync(target)) {
        // Its journal before it: one moved alone is read only beside the record it names.
        if (existsSync(journalOf(manifest))) await rename(journalOf(manifest), journalOf(target))
        await rename(manifest, target)
      }
      await rename(from, to)
      entry.adopted = legacy
      return true
    } catch (error) {
      this.options.problem(`taking over the mirror folder ${legacy} for ${key} (as ${entry.folder}): ${(error as Error).message}`)
      return false
    }
  }
}
