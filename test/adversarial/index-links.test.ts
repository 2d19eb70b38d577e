// A folder inside the shared one swapped for a link to a folder outside it: neither the index nor
// the folder server may follow it, at any level of the path. Real files, a real folder server,
// a hand-driven peer on 127.0.0.1 (mutual TLS, as a device the folder server admits).
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderServer } from '../../src/main/engine/client/folder-server'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import type { IndexChange, Message } from '../../src/main/engine/protocol/messages'
import { EventLog } from '../helpers/events'
import { contentVersion } from '../helpers/fake-peer'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { newIdentity } from '../helpers/test-identity'
import { directoryOf } from './servers'

const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})

const SECRET = 'OUTSIDE-SECRET, never to be shared\n'
const INSIDE = 'inside the shared folder\n'

/** A shared folder holding sw/secret.txt, and a folder outside it with a secret.txt of its own. */
function folders(): { root: string; outside: string } {
  const root = tempDir('shared-')
  mkdirSync(path.join(root, 'sw'))
  writeFileSync(path.join(root, 'sw', 'secret.txt'), INSIDE)
  const outside = tempDir('outside-')
  writeFileSync(path.join(outside, 'secret.txt'), SECRET)
  return { root, outside }
}

async function openIndex(root: string): Promise<{ index: FolderIndex; changes: IndexChange[] }> {
  const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), new EventLog().sink)
  await index.open()
  cleanup.push(() => index.close())
  const changes: IndexChange[] = []
  index.on('changes', (batch) => changes.push(...batch))
  return { index, changes }
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Every hash and byte a peer was told or sent, to look for the outside file's. */
function outsideIn(messages: Message[]): Message[] {
  const secret = contentVersion(SECRET)
  return messages.filter((m) => {
    switch (m.type) {
      case 'INDEX_CHANGED':
        return m.changes.some((c) => c.op === 'upsert' && c.version.equals(secret))
      case 'FILE_LIST':
        return m.files.some((f) => f.version.equals(secret))
      case 'FILE_SIZE':
        return m.version.equals(secret)
      case 'FILE_DATA':
        return m.data.includes('OUTSIDE-SECRET')
      case 'FILES':
        return m.records.some((r) => r.status === 'content' && (r.version.equals(secret) || r.data.includes('OUTSIDE-SECRET')))
      default:
        return false
    }
  })
}

describe('links inside the shared folder', () => {
  it('a recheck of a file whose folder was just swapped for a link does not hash the file the link leads to', async () => {
    const { root, outside } = folders()
    const { index, changes } = await openIndex(root)
    renameSync(path.join(root, 'sw'), path.join(root, 'sw.moved'))
    symlinkSync(outside, path.join(root, 'sw'))
    // As the folder server asks after a failed open: before the watcher has said anything.
    index.served.recheck('sw/secret.txt')
    await until(() => index.get('sw/secret.txt') === undefined && index.get('sw.moved/secret.txt') !== undefined, 'the move indexed')
    expect(changes.filter((c) => c.op === 'upsert' && c.version.equals(contentVersion(SECRET)))).toEqual([])
    expect(index.list().some((f) => f.version.equals(contentVersion(SECRET)))).toBe(false)
  })

  it('a path whose folder is a link counts as gone, even when the link leads back inside', async () => {
    const { root } = folders()
    const { index, changes } = await openIndex(root)
    renameSync(path.join(root, 'sw'), path.join(root, 'sw.moved'))
    symlinkSync('sw.moved', path.join(root, 'sw'))
    index.served.recheck('sw/secret.txt')
    await until(() => index.get('sw/secret.txt') === undefined && index.get('sw.moved/secret.txt') !== undefined, 'the move indexed')
    // Looked at again later, through the link: still not there.
    index.served.recheck('sw/secret.txt')
    index.served.recheck('sw')
    await new Promise((r) => setTimeout(r, 200))
    expect(index.get('sw/secret.txt')).toBeUndefined()
    expect(changes.filter((c) => c.path === 'sw/secret.txt').map((c) => c.op)).toEqual(['delete'])
  })

  it('a peer asking again and again while a folder is swapped for a link, round after round, never gets the outside file, its hash or a byte of it', { timeout: 120_000 }, async () => {
    const { root, outside } = folders()
    const { index, changes } = await openIndex(root)
    const log = new EventLog()
    const own = await newIdentity('sharer')
    const asker = await newIdentity('asker')
    const server = new FolderServer({ port: 0, host: '127.0.0.1', identity: own, name: own.name, index, peers: directoryOf([asker]), onEvent: log.sink })
    const { port } = await server.start()
    cleanup.push(() => server.stop())
    // An announced device: admitted at its HELLO.
    const peer = await RawPeer.handshake(port, { identity: asker })
    cleanup.push(() => peer.close())
    peer.send({ type: 'SUBSCRIBE' })
    await peer.next('FOLDER_STATE')

    const seen: Message[] = []
    let asked = 0
    /** GET_FILE, GET_FILES and now and then the list, pipelined; back once all are answered. */
    const ask = async (): Promise<void> => {
      peer.send({ type: 'GET_FILE', path: 'sw/secret.txt', version: null })
      peer.send({ type: 'GET_FILES', files: [{ path: 'sw/secret.txt', version: null }] })
      if (asked++ % 4 === 0) peer.send({ type: 'GET_FILE_LIST' })
      // Answered in order: the batch's FILES frame comes after the single file's answer.
      await peer.until(() => peer.has((m) => m.type === 'FILES'), 10_000, 'the batch answered')
      if (asked % 4 === 1) await peer.until(() => peer.has((m) => m.type === 'FILE_LIST' && m.last), 10_000, 'the list')
      seen.push(...peer.messages.splice(0))
    }

    const rounds = 30
    const deadline = Date.now() + 100_000
    let round = 0
    for (; round < rounds && Date.now() < deadline; round++) {
      await until(() => index.get('sw/secret.txt')?.version.equals(contentVersion(INSIDE)) === true, 'the inside file indexed again')
      renameSync(path.join(root, 'sw'), path.join(root, 'sw.moved'))
      symlinkSync(outside, path.join(root, 'sw'))
      // Until the index has let go of the path, and once more after.
      for (let tries = 0; tries < 100 && index.get('sw/secret.txt') !== undefined; tries++) await ask()
      await ask()
      rmSync(path.join(root, 'sw'))
      renameSync(path.join(root, 'sw.moved'), path.join(root, 'sw'))
    }
    expect(round).toBe(rounds)
    // The race was run: some asks came while the index still held the path, and were refused.
    expect(seen.some((m) => m.type === 'FILE_ABORT')).toBe(true)
    await ask()
    seen.push(...peer.messages.splice(0))
    expect(outsideIn(seen).map((m) => m.type)).toEqual([])
    expect(changes.filter((c) => c.op === 'upsert' && c.version.equals(contentVersion(SECRET)))).toEqual([])
    // Still serving the file itself, from inside.
    await until(() => index.get('sw/secret.txt')?.version.equals(contentVersion(INSIDE)) === true, 'the inside file indexed again')
    peer.send({ type: 'GET_FILE', path: 'sw/secret.txt', version: null })
    expect((await peer.next('FILE_DATA')).data.toString()).toBe(INSIDE)
  })
})
