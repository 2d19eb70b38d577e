// `dropbox-sync ctl` against real clients (CLI processes) on 127.0.0.1: pause and resume (the
// whole client, one peer, across a restart), a peer named by device name, ID, short ID, mirror
// folder or address, rescan now, and the control socket itself, in the client's config folder.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { controlSocketPath } from '../../src/main/engine/control/control-protocol'
import { ControlServer } from '../../src/main/engine/control/control-server'
import { BIN, CliProcess, configOf, inviteFor, killAll, runCliOnce } from '../helpers/cli'
import { writeThroughMmap } from '../helpers/mmap'
import { expectMirrored, startClient, startServer, write, type Client } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf, peerFolderName } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

/** `dropbox-sync ctl ARGS --config` the config folder of the client sharing `client.dir`. */
const ctl = (client: Client, ...args: string[]): ReturnType<typeof runCliOnce> => runCliOnce(['ctl', ...args, '--config', configOf(client.dir)])
const key = (client: Client): string => `127.0.0.1:${client.port}`

async function ctlOk(client: Client, ...args: string[]): Promise<string> {
  const result = await ctl(client, ...args)
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return result.stdout
}

/** Clients sharing a file each, every one mirroring every other. */
async function mesh(count: number, ...extra: string[][]): Promise<{ serverPort: number; clients: Client[] }> {
  const serverPort = await startServer()
  const clients: Client[] = []
  for (let i = 0; i < count; i++) {
    const dir = tempDir(`ctl-${i}-`)
    write(dir, 'start.txt', `client ${i}\n`)
    clients.push(await startClient(serverPort, dir, ...(extra[i] ?? [])))
  }
  for (const me of clients) for (const other of clients) if (other !== me) await me.cli.waitFor('peer-synced', { peer: key(other) }, 20_000)
  return { serverPort, clients }
}

describe('ctl pause / resume', () => {
  it('pausing the client holds its transfers (a witness gets the file, it does not) until resume', async () => {
    const { clients } = await mesh(3)
    const [sender, paused, witness] = clients as [Client, Client, Client]
    expect(await ctlOk(paused, 'pause')).toMatch(/paused the client/)
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

    expect(await ctlOk(paused, 'pause')).toMatch(/was paused already/)
    expect(await ctlOk(paused, 'resume')).toMatch(/resumed the client/)
    await paused.cli.waitFor('resumed')
    await paused.cli.waitFor('file-synced', { peer: key(sender), path: 'while-paused.txt' }, 15_000)
    await expectMirrored(sender.dir, mirrorOf(paused.dir, sender.port))
  })

  it('pausing the client cuts a transfer under way cleanly; it stays paused across a restart, and resume completes the file', async () => {
    // The receiver downloads at 256 KiB/s, so the 4 MiB file is still coming when the pause lands.
    const { serverPort, clients } = await mesh(3, [], ['--limit-rate', '256'])
    const [sender, paused, witness] = clients as [Client, Client, Client]
    const big = randomBytes(4 * 1024 * 1024)
    write(sender.dir, 'big.bin', big)
    await paused.cli.until(
      () => paused.cli.events.some((e) => e.type === 'transfer-progress' && e.path === 'big.bin' && e.bytes >= 1024 * 1024),
      30_000,
      'a first MiB of big.bin',
    )
    expect(await ctlOk(paused, 'pause')).toMatch(/paused the client/)
    await paused.cli.waitFor('paused')
    await witness.cli.waitFor('file-synced', { peer: key(sender), path: 'big.bin' }, 30_000)
    const mirror = mirrorOf(paused.dir, sender.port)
    expect(existsSync(path.join(mirror, 'big.bin'))).toBe(false)
    expect(paused.cli.find('file-synced', { path: 'big.bin' })).toBeUndefined()
    // Cut by the pause the user asked for: no failure said, and no word of it after the pause.
    expect(paused.cli.find('transfer-failed', { path: 'big.bin' })).toBeUndefined()
    const pausedAt = paused.cli.events.findIndex((e) => e.type === 'paused')
    expect(paused.cli.events.slice(pausedAt).filter((e) => e.type === 'transfer-progress')).toEqual([])

    // Stopped and started again (without the limit): paused from the start, still without the file.
    paused.cli.kill('SIGINT')
    expect((await paused.cli.exited).code).toBe(0)
    expect(JSON.parse(readFileSync(path.join(`${paused.dir}-mirrors`, '.dropbox-sync', 'paused.json'), 'utf8'))).toEqual({ all: true, peers: [] })
    const again = await startClient(serverPort, paused.dir)
    await again.cli.waitFor('paused')
    expect(again.cli.find('paused')).toEqual({ type: 'paused' })
    write(sender.dir, 'after-restart.txt', 'made while paused, after the restart\n')
    await witness.cli.waitFor('file-synced', { peer: key(sender), path: 'after-restart.txt' }, 15_000)
    expect(existsSync(path.join(mirror, 'big.bin'))).toBe(false)
    expect(existsSync(path.join(mirror, 'after-restart.txt'))).toBe(false)

    // Resumed: both come, whole, and what the cut transfer had written is not sent again.
    expect(await ctlOk(again, 'resume')).toMatch(/resumed the client/)
    const synced = await again.cli.waitFor('file-synced', { peer: key(sender), path: 'big.bin' }, 30_000)
    await expectMirrored(sender.dir, mirror)
    expect(readFileSync(path.join(mirror, 'big.bin')).equals(big)).toBe(true)
    expect(synced.transferred).toBeLessThan(big.length)
  }, 120_000)

  it('pausing one peer (by its device name) holds its mirror only, and stays paused across a restart', async () => {
    const { serverPort, clients } = await mesh(3, ['--name', 'held laptop'])
    const [held, other, receiver] = clients as [Client, Client, Client]
    expect(await ctlOk(receiver, 'pause', 'held laptop')).toMatch(new RegExp(`paused the mirror of held laptop \\(ID ${held.id.slice(0, 7)}, mirror held-laptop-${held.id.slice(0, 7)}, at ${key(held)}\\)`))
    expect(await receiver.cli.waitFor('paused', { peer: key(held) })).toEqual({ type: 'paused', peer: key(held), id: held.id, name: 'held laptop' })
    write(held.dir, 'first.txt', 'written first\n')
    write(other.dir, 'second.txt', 'written second\n')
    await receiver.cli.waitFor('file-synced', { peer: key(other), path: 'second.txt' }, 15_000)
    await other.cli.waitFor('file-synced', { peer: key(held), path: 'first.txt' }, 15_000)
    expect(existsSync(path.join(mirrorOf(receiver.dir, held.port), 'first.txt'))).toBe(false)

    // Restarted, it says the device is paused and still holds its mirror: the pause is the device's.
    receiver.cli.kill('SIGINT')
    expect((await receiver.cli.exited).code).toBe(0)
    const pausedFile = path.join(`${receiver.dir}-mirrors`, '.dropbox-sync', 'paused.json')
    expect(JSON.parse(readFileSync(pausedFile, 'utf8'))).toEqual({ all: false, peers: [held.idHex] })
    // As the first version kept it, by address: the device seen there takes the pause over.
    writeFileSync(pausedFile, JSON.stringify({ all: false, peers: [key(held)] }))
    const again = await startClient(serverPort, receiver.dir)
    await again.cli.waitFor('paused', { id: held.id, peer: key(held) })
    await again.cli.until(() => readFileSync(pausedFile, 'utf8').includes(held.idHex), 5000, 'paused.json rewritten by device ID')
    expect(JSON.parse(readFileSync(pausedFile, 'utf8'))).toEqual({ all: false, peers: [held.idHex] })
    write(other.dir, 'third.txt', 'after the restart\n')
    await again.cli.waitFor('file-synced', { peer: key(other), path: 'third.txt' }, 15_000)
    expect(existsSync(path.join(mirrorOf(receiver.dir, held.port), 'first.txt'))).toBe(false)

    // Resumed by its address this time.
    expect(await ctlOk(again, 'resume', key(held))).toMatch(/resumed the mirror of held laptop/)
    await again.cli.waitFor('resumed', { peer: key(held) })
    await again.cli.waitFor('peer-synced', { peer: key(held) }, 15_000)
    await expectMirrored(held.dir, mirrorOf(receiver.dir, held.port))
  })

  it('names a peer by device ID, its first group, its mirror folder or its address; an ambiguous or unknown one is one line listing the peers', async () => {
    const { clients } = await mesh(3, ['--name', 'twin'], ['--name', 'twin'])
    const [first, second, receiver] = clients as [Client, Client, Client]
    const names: Array<[string, Client]> = [
      [first.id, first],
      [second.id.slice(0, 7).toLowerCase(), second],
      [peerFolderName(first.port), first],
      [key(second), second],
    ]
    const said = (type: 'paused' | 'resumed', peer: Client): number => receiver.cli.events.filter((e) => e.type === type && e.id === peer.id && e.peer === key(peer)).length
    for (const [text, peer] of names) {
      const before = { paused: said('paused', peer), resumed: said('resumed', peer) }
      expect(await ctlOk(receiver, 'pause', text)).toContain(`paused the mirror of twin (ID ${peer.id.slice(0, 7)}`)
      await receiver.cli.until(() => said('paused', peer) > before.paused, 5000, `${text} paused`)
      expect(await ctlOk(receiver, 'resume', text)).toContain(`resumed the mirror of twin (ID ${peer.id.slice(0, 7)}`)
      await receiver.cli.until(() => said('resumed', peer) > before.resumed, 5000, `${text} resumed`)
    }
    const pauses = receiver.cli.count('paused')

    const ambiguous = await ctl(receiver, 'pause', 'twin')
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stderr.trim().split('\n')).toHaveLength(1)
    expect(ambiguous.stderr).toMatch(/^dropbox-sync: "twin" could be any of 2 peers: /)
    for (const peer of [first, second]) expect(ambiguous.stderr).toContain(`twin (ID ${peer.id.slice(0, 7)}, mirror ${peerFolderName(peer.port)}, at ${key(peer)})`)

    const unknown = await ctl(receiver, 'confirm', 'nobody')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1)
    expect(unknown.stderr).toMatch(/^dropbox-sync: no peer matches "nobody" \(its device name, device ID, mirror folder or IP:PORT\); this client knows: twin \(ID /)
    // Nothing was paused by the refusals.
    expect(receiver.cli.count('paused')).toBe(pauses)
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
    expect(await ctlOk(sender, 'rescan')).toMatch(/looking/)
    await receiver.cli.until(() => receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path === 'db.bin').length === 2, 15_000, 'the mapped write mirrored')
    await expectMirrored(senderDir, mirror)

    // A mirror damaged the same way is put right by the receiver's look.
    await receiver.cli.waitFor('peer-synced', { peer: key(sender) }, 15_000)
    writeThroughMmap(path.join(mirror, 'db.bin'), 'BROKEN')
    expect(await ctlOk(receiver, 'rescan')).toMatch(/looking/)
    await receiver.cli.until(() => receiver.cli.events.filter((e) => e.type === 'file-synced' && e.path === 'db.bin').length === 3, 15_000, 'the mirror repaired')
    await expectMirrored(senderDir, mirror)
  })
})

/** One request line on the socket, and its reply. */
function ask(socketPath: string, line: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (text += d))
    socket.on('error', reject)
    socket.on('close', () => resolve(JSON.parse(text.trim())))
    socket.write(line)
  })
}

describe('the control socket', () => {
  it('is in the config folder and owner-only; a stranger gets an error reply for garbage and the client runs on', async () => {
    const serverPort = await startServer()
    const client = await startClient(serverPort, tempDir('socket-'))
    const socketPath = path.join(configOf(client.dir), 'control', 'control.sock')
    expect(statSync(socketPath).isSocket()).toBe(true)
    expect(statSync(socketPath).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700)
    // Nothing of it is left in the mirror folder.
    expect(existsSync(path.join(`${client.dir}-mirrors`, '.dropbox-sync', 'control'))).toBe(false)

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
    expect(reply(await send('{"command":"confirm","peer":"127.0.0.1:9"}\n', false))).toEqual({ ok: false, error: 'no peer matches "127.0.0.1:9": this client knows no peers yet' })

    // Still running, and still answering.
    expect(await ctlOk(client, 'rescan')).toMatch(/looking/)
    expect(client.cli.child.exitCode).toBeNull()
    client.cli.kill('SIGINT')
    expect((await client.cli.exited).code).toBe(0)
    expect(existsSync(socketPath)).toBe(false)
  })

  it('a client without --config listens in the default config folder, which ctl without --config reaches', async () => {
    const serverPort = await startServer()
    const home = tempDir('ctl-xdg-')
    const env = { ...process.env, XDG_CONFIG_HOME: home }
    const dir = tempDir('ctl-default-')
    const client = new CliProcess(
      spawn(process.execPath, [BIN, 'client', '-d', dir, '--host', '127.0.0.1', '--join', inviteFor('127.0.0.1', serverPort), '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    )
    await client.waitFor('registered', {}, 30_000)
    expect(statSync(path.join(home, 'dropbox-sync', 'control', 'control.sock')).isSocket()).toBe(true)
    const ctlDefault = spawn(process.execPath, [BIN, 'ctl', 'pause'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    ctlDefault.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    expect(await new Promise((resolve) => ctlDefault.once('exit', resolve))).toBe(0)
    expect(stdout).toMatch(/^paused the client/)
    await client.waitFor('paused')
  })

  it('a config folder too deep for a socket path gets its socket in the temp folder, which ctl finds', async () => {
    const serverPort = await startServer()
    const config = path.join(tempDir('ctl-deep-'), ...Array.from({ length: 8 }, () => 'a-rather-long-folder'))
    const client = await startClient(serverPort, tempDir('ctl-deep-share-'), '--config', config, '--join', inviteFor('127.0.0.1', serverPort))
    expect(existsSync(path.join(config, 'control'))).toBe(false)
    expect(await runCliOnce(['ctl', 'pause', '--config', config])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^paused the client/) as unknown })
    await client.cli.waitFor('paused')
    expect(statSync(controlSocketPath(config)).isSocket()).toBe(true)
    client.cli.kill('SIGINT')
    expect((await client.cli.exited).code).toBe(0)
    expect(existsSync(controlSocketPath(config))).toBe(false)
  })

  it('a second control server on a socket that answers leaves it to the first; a stale one is replaced', async () => {
    const socketPath = path.join(tempDir('ctl-twice-'), 'control', 'control.sock')
    const answer = (message: string) => async (): Promise<{ ok: true; message: string }> => ({ ok: true, message })
    const first = new ControlServer(socketPath, answer('first'))
    await first.start()
    const second = new ControlServer(socketPath, answer('second'))
    await expect(second.start()).rejects.toThrow(/another dropbox-sync client with this config folder answers there/)
    expect(await ask(socketPath, '{"command":"rescan"}\n')).toEqual({ ok: true, message: 'first' })
    await first.stop()
    // A socket file nobody answers on (a client killed without its stop) is taken over.
    spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", socketPath])
    expect(statSync(socketPath).isSocket()).toBe(true)
    await second.start()
    expect(await ask(socketPath, '{"command":"rescan"}\n')).toEqual({ ok: true, message: 'second' })
    await second.stop()
  })

  it('ctl with no client running says so in one line and exits 1; a bad command is a usage error', async () => {
    const config = tempDir('nobody-')
    const result = await runCliOnce(['ctl', 'pause', '--config', config])
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain(`no client is running with the config folder ${config}`)
    expect((await runCliOnce(['ctl', 'confirm', '--config', config])).code).toBe(2)
    expect((await runCliOnce(['ctl', 'rescan', 'peer', '--config', config])).code).toBe(2)
    expect((await runCliOnce(['ctl', 'pause', ' ', '--config', config])).code).toBe(2)
    expect((await runCliOnce(['ctl', 'pause', '-d', config])).code).toBe(2)
    expect((await runCliOnce(['ctl', 'explode', '--config', config])).code).toBe(2)
  })
})
