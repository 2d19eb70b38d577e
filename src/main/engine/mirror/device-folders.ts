// Which folder of the mirror root holds which device's mirror: `NAME-SHORTID`, decided the first
// time the device is seen and kept from then on (a device renamed later keeps its folder; nothing
// on disk is renamed), in MIRRORROOT/.dropbox-sync/devices.json, written atomically. Folder
// names are unique ignoring case (case-insensitive file systems): two devices whose names and
// short IDs collide get more of the ID.
import { mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { formatDeviceId, DEVICE_ID_LENGTH } from '../../../shared/device-id'
import { deviceFolderName } from '../../../shared/paths'
import { writeFileAtomic } from '../folder/atomic-write'

export const DEVICES_FILE = 'devices.json'

export interface DeviceFolder {
  /** The folder's name in the mirror root. */
  folder: string
  /** The device's name when the folder was named (for people reading the file). */
  name: string
  /** The `IP_PORT` folder of an earlier version this device took over, if any. */
  adopted?: string
}

interface SavedDevices {
  version: 1
  /** By device ID, hex. */
  devices: Record<string, DeviceFolder>
}

export class DeviceFolders {
  private readonly byId = new Map<string, DeviceFolder>()
  /** Devices whose folder is made (or adopted): only those are written, so a device that never answers leaves no entry. */
  private readonly kept = new Set<string>()
  /** Folder names in use, lower case. */
  private readonly taken = new Set<string>()
  private saving: Promise<void> = Promise.resolve()

  constructor(private readonly file: string) {}

  /** Reads the saved table; a missing or unreadable one is an empty table (folders are found again by name). */
  load(): void {
    let saved: SavedDevices
    try {
      saved = JSON.parse(readFileSync(this.file, 'utf8')) as SavedDevices
    } catch {
      return
    }
    for (const [id, entry] of Object.entries(saved?.devices ?? {})) {
      if (!/^[0-9a-f]{64}$/.test(id) || typeof entry?.folder !== 'string' || this.taken.has(entry.folder.toLowerCase())) continue
      this.byId.set(id, entry)
      this.kept.add(id)
      this.taken.add(entry.folder.toLowerCase())
    }
  }

  /** Whether the device's folder is on record (in the file, or about to be). */
  has(id: string): boolean {
    return this.kept.has(id)
  }

  get(id: string): DeviceFolder | undefined {
    return this.byId.get(id)
  }

  /** Every device on record, by ID (hex). */
  recorded(): Array<[string, DeviceFolder]> {
    return [...this.byId].filter(([id]) => this.kept.has(id))
  }

  /** Names the folder of a device seen for the first time (recorded once it is made: see keep). */
  assign(id: string, name: string): DeviceFolder {
    const known = this.byId.get(id)
    if (known) return known
    const idText = formatDeviceId(Buffer.from(id, 'hex'))
    let folder = deviceFolderName(name, idText)
    for (let chars = 8; this.taken.has(folder.toLowerCase()) && chars <= DEVICE_ID_LENGTH; chars++) folder = deviceFolderName(name, idText, chars)
    const entry: DeviceFolder = { folder, name }
    this.byId.set(id, entry)
    this.taken.add(folder.toLowerCase())
    return entry
  }

  /** Records the device's folder (made or adopted) and writes the table whole, atomically. */
  keep(id: string): Promise<void> {
    this.kept.add(id)
    return this.save()
  }

  /** Saves are made one after another. */
  private save(): Promise<void> {
    const data: SavedDevices = { version: 1, devices: Object.fromEntries([...this.byId].filter(([id]) => this.kept.has(id))) }
    const text = `${JSON.stringify(data, null, 2)}\n`
    const next = this.saving.then(async () => {
      mkdirSync(path.dirname(this.file), { recursive: true })
      await writeFileAtomic(this.file, text)
    })
    this.saving = next.catch(() => {})
    return next
  }
}
