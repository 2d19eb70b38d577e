// An independent dropbox-sync peer, written from docs/PROTOCOL.md (protocol 5) ALONE: nothing
// under src/ and nothing of test/helpers/fake-peer.ts was read or imported to write it. It is the
// spec's test: where it fails against the real CLI, the spec (or the CLI) is wrong.
// Pieces: spec-peer/wire.ts (§1.2–§3), blocks.ts (§12.8), identity.ts (§16), link.ts (§1.1, §4,
// §5), registry.ts (§6, §10, §11), puller.ts (P's side of §12), folder-server.ts (F's side of §12).
import { SpecFolderServer } from './spec-peer/folder-server'
import { displayId, makeIdentity, readInvite, type Identity } from './spec-peer/identity'
import { Puller } from './spec-peer/puller'
import { RegistryLink, type Member } from './spec-peer/registry'

export type { Member } from './spec-peer/registry'
export { planOf } from './spec-peer/blocks'

export class SpecPeer {
  registry: RegistryLink | null = null
  readonly folder: SpecFolderServer
  folderPort = 0

  private constructor(
    readonly me: Identity,
    readonly name: string,
  ) {
    this.folder = new SpecFolderServer(me, name, () => this.registry)
  }

  /** A new device: its own key and self-signed certificate (§16.1); its ID is SHA-256 of the DER (§16.2). */
  static async create(name: string): Promise<SpecPeer> {
    return new SpecPeer(await makeIdentity(), name)
  }

  get displayId(): string {
    return displayId(this.me.id)
  }

  /** Opens the folder port, joins with the invite (§6.1), registers the folder's endpoint (§11 step 4). */
  async join(inviteText: string): Promise<Member[]> {
    this.folderPort = await this.folder.listen('127.0.0.1')
    const registry = await RegistryLink.join(this.me, this.name, readInvite(inviteText))
    this.registry = registry
    registry.on('user-off', (m: Member) => this.folder.drop(m.id))
    return registry.logOn({ ip: '127.0.0.1', port: this.folderPort })
  }

  /** A folder connection to an announced device, pinned to its ID (§12.1). */
  pullFrom(peer: Member): Promise<Puller> {
    return Puller.open(this.me, this.name, peer)
  }

  async leave(): Promise<void> {
    await this.registry?.logOff()
  }

  close(): void {
    this.registry?.link.destroy()
    this.folder.close()
  }
}
