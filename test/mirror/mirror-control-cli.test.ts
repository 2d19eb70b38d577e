// `dropbox-sync ctl` against real clients (CLI processes) on 127.0.0.1: pause and resume (the
// whole client, one peer, across a restart), rescan now, and the control socket itself.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, runCliOnce } from '../helpers/cli'
import { writeThroughMmap } from '../helpers/mmap'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const ctl = (...args: string[]): ReturnType<typeof runCliOnce> => runCliOnce(['ctl', ...args])
const key = (client: Client): string => `127.0.0.1:${client.port}`

async function ctlOk(...args: string[]): Promise<string> {
  const result = await ctl(...args)
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return result.stdout
}

/** Clients sharing a file each, every one mirroring every other. */
async function mesh(count: number): Promise<{ serverPort: number; clients: Client[] }> {
  const serverPort = await startServer()
  const clients: Client[] = []
  for (let i = 0; i < count; i++) {
    const dir = tempDir(`ctl-${i}-`)
    write(dir, 'start.txt', `client ${i}\n`)
    clients.push(await startClient(serverPort, dir))
  }
  for (const me of clients) for (const other of clients) if (other !== me) await me.cli.waitFor('peer-synced', { peer: key(other) }, 20_000)
  return { serverPort, clients }
}

describe('ctl pause / resume', () => {
  it('pausing the client holds its transfers (a witness gets the file, it does not) until resume', async () => {
    const { clients } = await mesh(3)
    const [sender, paused, witness] = clients as [Client, Client, Client]
    expect(await ctlOk('pause', '-d', paused.dir)).toMatch(/paused the client/)
    await paused.cli.waitFor('paused')
    expect(paused.cli.find('paused')).toEqual({ type: 'paused' })
    write(sender.dir, 'while-paused.txt', 'made while paused\n')
    // The witness, mirroring the same sender, has it: the paused client would have had it too.
    await witness.cli.waitFor('file-synced', { peer: key(sender), path: 'while-paused.txt' }, 15_000)
    expect(existsSync(path.join(mirrorOf(paused.dir, sender.port), 'while-paused.txt'))).toBe(false)
    expect(paused.cli.find('file-synced', { path: 'while-paused.txt' })).toBeUndefined()
    // Its own folder is still served meanwhile.
    write(paused.dir, 'from-paused.txt', 'served while paused\n')
    await witness.cli.waitFor('file-synced', { peer: key(paused), path: 'from-paused.txt' }, 15_000)

    expect(await ctlOk('pause', '-d', paused.dir)).toMatch(/was paused already/)
    expect(await ctlOk('resume', '-d', paused.dir)).toMatch(/resumed the client/)
    await paused.cli.waitFor('resumed')
    await paused.cli.waitFor('file-synced', { peer: key(sender), path: 'while-paused.txt' }, 15_000)
    await expectMirrored(sender.dir, mirrorOf(paused.dir, sender.port))
  })

  it('pausing one peer holds its mirror only, and stays paused across a restart', async () => {
    const { serverPort, clients } = await mesh(3)
    const [held, other, receiver] = clients as [Client, Client, Client]
    expect(await ctlOk('pause', key(held), '--mirror', `${receiver.dir}-mirrors`)).toMatch(new RegExp(`paused the mirror of ${key(held)}`))
    await receiver.cli.waitFor('paused', { peer: key(held) })
    write(held.dir, 'first.txt', 'written first\n')
    write(other.dir, 'second.txt', 'written second\n')
    await receiver.cli.waitFor('file-synced', { peer: key(other), path: 'second.txt' }, 15_000)
    await other.cli.waitFor('file-synced', { peer: key(held), path: 'first.txt' }, 15_000)
    expect(existsSync(path.join(mirrorOf(receiver.dir, held.port), 'first.txt'))).toBe(false)

    // Restarted, it says the peer is paused and still holds its mirror.
    receiver.cli.kill('SIGINT')
    expect((await receiver.cli.exited).code).toBe(0)
    const paused = JSON.parse(readFileSync(path.join(`${receiver.dir}-mirrors`, '.dropbox-sync', 'paused.json'), 'utf8')) as unknown
    expect(paused).toEqual({ all: false, peers: [key(held)] })
    const again = await startClient(serverPort, receiver.dir)
    await again.cli.waitFor('paused', { peer: key(held) })
    write(other.dir, 'third.txt', 'after the restart\n')
    await again.cli.waitFor('file-synced', { peer: key(other), path: 'third.txt' }, 15_000)
    expect(existsSync(path.join(mirrorOf(receiver.dir, held.port), 'first.txt'))).toBe(false)

    expect(await ctlOk('resume', key(held), '-d', receiver.dir)).toMatch(/resumed the mirror/)
    await again.cli.waitFor('resumed', { peer: key(held) })
    await again.cli.waitFor('peer-synced', { peer: key(held) }, 15_000)
    await expectMirrored(held.dir, mirrorOf(receiver.dir, held.port))
  })
})

describe('ctl rescan', () => {
  it('finds a write through a memory mapping at once, in the shared folder and in a mirror (rescan every 600 s)', async () => {
    const serverPort = await startServer()
    const senderDir = tempDir('rescan-sender-')
    write(senderDir, 'db.bin', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
    const sender = await startClient(serverPort, senderDir, '--rescan', '600')
    const receiver = await startClient(serverPort, tempDir('rescan-receiver-'), '--rescan', '600')
    await receiver.cli.waitFor('peer-synced', { peer: key(sender) }, 15_000)
    const mirror = mirrorOf(receiver.dir, sender.port)

    // The sender's own folder: no watch sees the write; the rescan does, and the peer gets it.
    writeThroughMmap(path.join(senderDir, 'db.bin'), 'MAPPED')
    expect(await ctlOk('rescan', '-d', senderDir)).toMatch(/looking/)
    await receiver.cli.until(() => receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path === 'db.bin').length === 2, 15_000, 'the mapped write mirrored')
    await expectMirrored(senderDir, mirror)

    // A mirror damaged the same way is put right by the receiver's look.
    await receiver.cli.waitFor('peer-synced', { peer: key(sender) }, 15_000)
    writeThroughMmap(path.join(mirror, 'db.bin'), 'BROKEN')
    expect(await ctlOk('rescan', '--mirror', `${receiver.dir}-mirrors`)).toMatch(/looking/)
    await receiver.cli.until(() => receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path === 'db.bin').length === 3, 15_000, 'the mirror repaired')
    await expectMirrored(senderDir, mirror)
  })
})

describe('the control socket', () => {
  it('is owner-only; a stranger gets an error reply for garbage and the client runs on', async () => {
    const serverPort = await startServer()
    const client = await startClient(serverPort, tempDir('socket-'))
    const socketPath = path.join(`${client.dir}-mirrors`, '.dropbox-sync', 'control', 'control.sock')
    expect(statSync(socketPath).isSocket()).toBe(true)
    expect(statSync(socketPath).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700)

    const send = (bytes: string, end: boolean): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(socketPath)
        let text = ''
        socket.setEncoding('utf8')
        socket.on('data', (d: string) => (text += d))
        socket.on('error', reject)
        socket.on('close', () => resolve(text))
        socket.write(bytes)
        if (end) socket.end()
      })
    const reply = (text: string): { ok: boolean; error?: string } => JSON.parse(text.trim()) as { ok: boolean; error?: string }
    expect(reply(await send('hello there\n', false))).toEqual({ ok: false, error: expect.stringMatching(/not a request/) as unknown })
    expect(reply(await send('{"command":"format-disk"}\n', false)).error).toMatch(/unknown command/)
    expect(reply(await send('x'.repeat(10_000), false)).error).toMatch(/too long/)
    expect(reply(await send('no newline', true)).error).toMatch(/not a request/)
    expect(reply(await send('{"command":"confirm","peer":"127.0.0.1:9"}\n', false))).toEqual({ ok: false, error: 'no deletions of 127.0.0.1:9 are held' })

    // Still running, and still answering.
    expect(await ctlOk('rescan', '-d', client.dir)).toMatch(/looking/)
    expect(client.cli.child.exitCode).toBeNull()
    client.cli.kill('SIGINT')
    expect((await client.cli.exited).code).toBe(0)
    expect(existsSync(socketPath)).toBe(false)
  })

  it('ctl with no client running says so in one line and exits 1; a bad command is a usage error', async () => {
    const dir = tempDir('nobody-')
    const result = await ctl('pause', '-d', dir)
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/no client is running with the mirror folder/)
    expect((await ctl('confirm', '-d', dir)).code).toBe(2)
    expect((await ctl('pause', 'not-a-peer', '-d', dir)).code).toBe(2)
    expect((await ctl('pause')).code).toBe(2)
    expect((await runCliOnce(['ctl', 'explode', '-d', dir])).code).toBe(2)
  })
})



