// An AppCore as the desktop app builds one, on loopback, with a settings folder of its own, and a
// recorder of the event batches a window would receive.
import { fileURLToPath } from 'node:url'
import { AppCore, type AppCoreOptions } from '../../src/main/app/app-core'
import { openSettingsStore } from '../../src/main/app/settings-store'
import { loadOrCreateIdentity } from '../../src/main/engine/identity/device-identity'
import { Membership } from '../../src/main/engine/identity/membership'
import type { AppEvent } from '../../src/shared/contract'
import { tempDir } from './temp'

/** The transfer worker bundled by `npm test`'s first step (scripts/build-cli.mjs). */
export const WORKER_SCRIPT = fileURLToPath(new URL('../../out/cli/transfer-worker.mjs', import.meta.url))

export class BatchLog {
  readonly batches: AppEvent[][] = []
  readonly sink = (batch: AppEvent[]): void => {
    this.batches.push(batch)
  }

  get events(): AppEvent[] {
    return this.batches.flat()
  }

  async waitFor(predicate: (event: AppEvent) => boolean, what: string, timeoutMs = 5000): Promise<AppEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.find(predicate)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => e.type))}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
}

/** `host`: what the host adds, such as its folder picker or its file manager. */
export function makeCore(configDir = tempDir('core-config-'), host: Pick<AppCoreOptions, 'chooseFolder' | 'openFolder'> = {}) {
  const store = openSettingsStore(configDir)
  const core = new AppCore({
    store,
    batchMs: 20,
    engine: { host: '127.0.0.1', heartbeatMs: 1000, addresses: () => ['192.0.2.10'], workerScript: WORKER_SCRIPT },
    ...host,
  })
  const log = new BatchLog()
  core.subscribe(log.sink)
  return { core, store, log, configDir }
}

/**
 * An invite to the server whose config folder is `configDir`, at `host:port`: what its Members
 * screen or `dropbox-sync invite --config DIR` makes, and a client pastes in Join with invite.
 */
export async function inviteTo(configDir: string, port: number, host = '127.0.0.1'): Promise<string> {
  const identity = await loadOrCreateIdentity(configDir)
  const membership = await Membership.open(configDir)
  try {
    return await membership.createInvite({ addresses: [{ host, port }], serverId: identity.id })
  } finally {
    membership.close()
  }
}
