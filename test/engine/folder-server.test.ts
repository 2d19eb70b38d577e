// The folder server over a real socket: only announced peers, and never a byte from outside the
// shared folder, even when a folder inside it is swapped for a link after indexing.
import { appendFileSync, closeSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { execFileSync, spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { contentVersion } from '../helpers/fake-peer'
import { cleanup, deviceAt, identified, serve } from '../helpers/folder-serving'
import { RawPeer } from '../helpers/raw-peer'
import { newIdentity } from '../helpers/test-identity'
import { BATCH_FILE_BYTES, LIST_FIRST_FRAME_BYTES, MAX_BATCH_FILES, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import { errorCodeName } from '../../src/main/engine/protocol/errors'
import type { FileRecord } from '../../src/main/engine/protocol/messages'
import { tempDir } from '../helpers/temp'

describe('FolderServer', () => {
  it('serves a file, says when the asker is up to date, and when a path is unknown', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'hello')
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    peer.send({ type: 'GET_FILE', path: 'a.txt', version: null })
    expect(await peer.next('FILE_SIZE')).toMatchObject({ path: 'a.txt', size: 5, version: contentVersion('hello') })
    expect((await peer.next('FILE_DATA')).data.toString()).toBe('hello')
    peer.send({ type: 'GET_FILE', path: 'a.txt', version: contentVersion('hello') })
    expect(await peer.next('FILE_UP_TO_DATE')).toEqual({ type: 'FILE_UP_TO_DATE', path: 'a.txt' })
    peer.send({ type: 'GET_FILE', path: '../etc/passwd', version: null })
    expect(await peer.next('FILE_NOT_FOUND')).toEqual({ type: 'FILE_NOT_FOUND', path: '../etc/passwd' })
  })

  it('answers GET_FILES with one record per file, in order, across as many FILES frames as it takes', async () => {
    const root = tempDir('shared-')
    mkdirSync(path.join(root, 'many'))
    const names = Array.from({ length: MAX_BATCH_FILES - 4 }, (_, i) => `many/f ${i}.bin`)
    // Every file random and ~20 KiB: more than one FILES frame's worth in all.
    const contents = new Map(names.map((name) => [name, randomBytes(20_000 + (name.length % 7))]))
    for (const [name, content] of contents) writeFileSync(path.join(root, name), content)
    writeFileSync(path.join(root, 'empty.txt'), '')
    writeFileSync(path.join(root, 'same.txt'), 'unchanged')
    writeFileSync(path.join(root, 'big.bin'), randomBytes(BATCH_FILE_BYTES + 1))
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    const files = [
      ...names.map((name) => ({ path: name, version: null })),
      { path: 'empty.txt', version: null },
      { path: 'same.txt', version: contentVersion('unchanged') },
      { path: 'big.bin', version: null },
      { path: '../outside.txt', version: null },
    ]
    peer.send({ type: 'GET_FILES', files })
    const records: FileRecord[] = []
    let frames = 0
    for (let last = false; !last; frames++) {
      const frame = await peer.next('FILES')
      records.push(...frame.records)
      last = frame.last
    }
    expect(frames).toBeGreaterThan(1)
    expect(records).toHaveLength(files.length)
    // Compared as hex: a deep comparison of 250 buffers byte by byte would take seconds.
    const hex = (r: FileRecord | undefined) => (r?.status === 'content' ? `${r.version.toString('hex')}:${r.data.toString('hex')}` : r?.status)
    const want = (content: Buffer) => `${contentVersion(content).toString('hex')}:${content.toString('hex')}`
    expect(records.slice(0, names.length).map(hex)).toEqual(names.map((name) => want(contents.get(name)!)))
    expect(records.slice(names.length)).toEqual([
      { status: 'content', version: contentVersion(''), data: Buffer.alloc(0) },
      { status: 'up-to-date' },
      { status: 'too-large' },
      { status: 'not-found' },
    ])
    // The connection stays in step: a plain request after the batch is answered as usual.
    peer.send({ type: 'GET_FILE', path: 'same.txt', version: null })
    expect(await peer.next('FILE_SIZE')).toMatchObject({ path: 'same.txt', size: 9 })
  })

  it('sends a long list in frames that start small and grow to the target, every file once', async () => {
    const root = tempDir('shared-')
    for (let d = 0; d < 10; d++) {
      mkdirSync(path.join(root, `d${d}`))
      for (let i = 0; i < 400; i++) writeFileSync(path.join(root, `d${d}`, `file-${i}.txt`), '')
    }
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    peer.send({ type: 'GET_FILE_LIST' })
    const sizes: number[] = []
    const seen = new Set<string>()
    for (let last = false; !last; ) {
      const frame = await peer.next('FILE_LIST')
      sizes.push(frame.files.length)
      for (const file of frame.files) seen.add(file.path)
      last = frame.last
    }
    expect(seen.size).toBe(4000)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(4000)
    // The first frame holds a few hundred entries at most; the next ones are each larger.
    expect(sizes[0]).toBeLessThan(LIST_FIRST_FRAME_BYTES / 43)
    expect(sizes[1]).toBeGreaterThan(sizes[0]!)
    expect(sizes[2]).toBeGreaterThan(sizes[1]!)
  })

  it('while the shared folder is gone, files are refused and the list waits until it is back', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'here')
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    renameSync(root, `${root}-away`)
    for (let i = 0; i < 100 && !index.missing; i++) await new Promise((r) => setTimeout(r, 50))
    expect(index.missing).toBe(true)
    peer.send({ type: 'GET_FILE', path: 'a.txt', version: null })
    expect((await peer.next('FILE_ABORT')).reason).toContain('not there for now')
    peer.send({ type: 'GET_FILE_LIST' })
    await new Promise((r) => setTimeout(r, 500))
    expect(peer.messages.filter((m) => m.type === 'FILE_LIST')).toEqual([])
    renameSync(`${root}-away`, root)
    const list = await peer.next('FILE_LIST')
    expect(list.files.map((f) => f.path)).toEqual(['a.txt'])
  })

  it('tells subscribers when the folder goes and when it is back, after announcing its files again', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'here')
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001', '127.0.0.1:40002']))
    const early = await identified(port, { ip: '127.0.0.1', port: 40001 })
    early.send({ type: 'SUBSCRIBE' })
    // The acknowledgement, then where the folder stands.
    await early.until(() => early.messages.length >= 2, 5000, 'two messages')
    expect(early.messages.splice(0)).toEqual([
      { type: 'INDEX_CHANGED', changes: [] },
      { type: 'FOLDER_STATE', present: true },
    ])
    renameSync(root, `${root}-away`)
    expect(await early.next('FOLDER_STATE')).toEqual({ type: 'FOLDER_STATE', present: false })
    expect(index.missing).toBe(true)

    // Subscribing while it is away: the acknowledgement, then that it is gone.
    const late = await identified(port, { ip: '127.0.0.1', port: 40002 })
    late.send({ type: 'SUBSCRIBE' })
    await late.until(() => late.messages.length >= 2, 5000, 'two messages')
    expect(late.messages.splice(0)).toEqual([
      { type: 'INDEX_CHANGED', changes: [] },
      { type: 'FOLDER_STATE', present: false },
    ])

    renameSync(`${root}-away`, root)
    for (const peer of [early, late]) {
      await peer.until(() => peer.messages.some((m) => m.type === 'FOLDER_STATE'), 5000, 'the folder back')
      const pushes = peer.messages.splice(0)
      expect(pushes.map((m) => m.type)).toEqual(['INDEX_CHANGED', 'FOLDER_STATE'])
      expect(pushes[0]).toMatchObject({ changes: [{ op: 'upsert', path: 'a.txt', version: contentVersion('here') }] })
      expect(pushes[1]).toEqual({ type: 'FOLDER_STATE', present: true })
    }
    // A peer that never subscribed hears nothing of it.
    const other = await identified(port, { ip: '127.0.0.1', port: 40001 })
    await new Promise((r) => setTimeout(r, 200))
    expect(other.messages).toEqual([])
  })

  it('a file changed since it was indexed gets an abort record; the others in its batch still arrive', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'first')
    writeFileSync(path.join(root, 'b.txt'), 'second')
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    writeFileSync(path.join(root, 'a.txt'), 'first, but longer now')
    peer.send({ type: 'GET_FILES', files: [{ path: 'a.txt', version: null }, { path: 'b.txt', version: null }] })
    const reply = await peer.next('FILES')
    expect(reply.last).toBe(true)
    expect(reply.records[0]).toMatchObject({ status: 'abort' })
    expect(reply.records[1]).toEqual({ status: 'content', version: contentVersion('second'), data: Buffer.from('second') })
  })

  it('never sends bytes other than the version it names: a rewrite its stats cannot show is aborted, then indexed', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'batched.txt'), 'old bytes')
    writeFileSync(path.join(root, 'single.txt'), 'old bytes')
    // Rewritten in place, same size, same mtime: as within one tick of the file system's clock.
    const rewrite = (name: string): void => {
      writeFileSync(path.join(root, name), 'new bytes')
      utimesSync(path.join(root, name), 1e9, 1e9)
    }
    for (const name of ['batched.txt', 'single.txt']) utimesSync(path.join(root, name), 1e9, 1e9)
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    rewrite('batched.txt')
    rewrite('single.txt')
    // The watcher has seen both writes and found the stats as indexed.
    await new Promise((r) => setTimeout(r, 300))
    expect(index.get('batched.txt')!.version).toEqual(contentVersion('old bytes'))
    peer.send({ type: 'GET_FILES', files: [{ path: 'batched.txt', version: null }] })
    const reply = await peer.next('FILES')
    expect(reply.records).toEqual([{ status: 'abort', reason: expect.stringContaining('changed while being read') }])
    peer.send({ type: 'GET_FILE', path: 'single.txt', version: null })
    expect(await peer.next('FILE_SIZE')).toMatchObject({ version: contentVersion('old bytes') })
    expect((await peer.next('FILE_ABORT')).reason).toContain('changed while being read')
    expect(peer.has((m) => m.type === 'FILE_DATA')).toBe(false)
    // Hashed again: the new version is what it shares (and announces) now.
    await peer.until(() => ['batched.txt', 'single.txt'].every((name) => index.get(name)!.version.equals(contentVersion('new bytes'))), 5000, 'the new versions indexed')
    peer.send({ type: 'GET_FILES', files: [{ path: 'batched.txt', version: null }] })
    expect((await peer.next('FILES')).records).toEqual([{ status: 'content', version: contentVersion('new bytes'), data: Buffer.from('new bytes') }])
  })

  it('a streamed file hashed within its write’s clock tick is checked as it is read: a rewrite its stats cannot show is aborted', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'racy.bin')
    const [before, after] = [randomBytes(200_000), randomBytes(200_000)]
    // Whole seconds, a second ahead: within the tick of a file system whose clock ticks in seconds.
    const tick = Math.floor(Date.now() / 1000) + 1
    writeFileSync(file, before)
    utimesSync(file, tick, tick)
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
    expect(index.served.isRacy('racy.bin')).toBe(true)
    writeFileSync(file, after)
    utimesSync(file, tick, tick)
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    peer.send({ type: 'GET_FILE', path: 'racy.bin', version: null })
    expect(await peer.next('FILE_SIZE')).toMatchObject({ version: contentVersion(before) })
    expect((await peer.next('FILE_ABORT')).reason).toContain('changed while being read')
    expect(peer.has((m) => m.type === 'FILE_DATA')).toBe(false)
    await peer.until(() => index.get('racy.bin')!.version.equals(contentVersion(after)), 5000, 'the new version indexed')
  })

  /** GET_FILE of `name` while the asker reads nothing: the server is held mid-file, `meanwhile` runs, then all of it arrives. */
  async function heldMidFile(root: string, name: string, meanwhile: () => void): Promise<{ peer: RawPeer; index: FolderIndex; sent: Buffer; aborted: string | null }> {
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    peer.socket.pause()
    peer.send({ type: 'GET_FILE', path: name, version: null })
    // Long enough for the socket buffers and the server's queue to fill.
    await new Promise((r) => setTimeout(r, 300))
    meanwhile()
    peer.socket.resume()
    const size = (await peer.next('FILE_SIZE')).size
    const parts: Buffer[] = []
    let got = 0
    let aborted: string | null = null
    while (got < size && aborted === null) {
      await peer.until(() => peer.has((m) => m.type === 'FILE_DATA' || m.type === 'FILE_ABORT'), 10_000, 'more of the file')
      const data = peer.has((m) => m.type === 'FILE_DATA') ? await peer.next('FILE_DATA') : null
      if (data) {
        parts.push(data.data)
        got += data.data.length
      } else aborted = (await peer.next('FILE_ABORT')).reason
    }
    return { peer, index, sent: Buffer.concat(parts), aborted }
  }

  it('a large file rewritten in place while it is streamed: the last chunk is held back and the file aborted', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'big.bin')
    const size = 48 * 1024 * 1024
    writeFileSync(file, randomBytes(size))
    utimesSync(file, 1e9, 1e9)
    const fresh = randomBytes(size)
    const { sent, aborted, index } = await heldMidFile(root, 'big.bin', () => {
      // Over the same bytes, no truncation: the size never changes, only the mtime.
      const fd = openSync(file, 'r+')
      writeSync(fd, fresh, 0, size, 0)
      closeSync(fd)
    })
    expect(aborted).toContain('changed while being read')
    expect(sent.length).toBeLessThan(size)
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000
      const poll = (): void => {
        if (index.get('big.bin')!.version.equals(contentVersion(fresh))) return resolve()
        if (Date.now() > deadline) return reject(new Error('the new version was not indexed'))
        setTimeout(poll, 50)
      }
      poll()
    })
  })

  it('a large file appended to while it is streamed: the indexed size is sent, the old version, and the new one is indexed', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'log.bin')
    const old = randomBytes(48 * 1024 * 1024)
    writeFileSync(file, old)
    utimesSync(file, 1e9, 1e9)
    const { sent, aborted, index } = await heldMidFile(root, 'log.bin', () => appendFileSync(file, 'more lines\n'))
    expect(aborted).toBeNull()
    expect(contentVersion(sent)).toEqual(contentVersion(old))
    const deadline = Date.now() + 10_000
    while (index.get('log.bin')!.size === old.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(index.get('log.bin')!.size).toBe(old.length + 'more lines\n'.length)
  })

  it('a large file rewritten longer in place while it is streamed: the last chunk is held back and the file aborted, never sent as the old version', async () => {
    const root = tempDir('shared-')
    const file = path.join(root, 'doc.bin')
    const size = 48 * 1024 * 1024
    const old = randomBytes(size)
    writeFileSync(file, old)
    utimesSync(file, 1e9, 1e9)
    // New bytes from the first one on, and more of them: no truncation, so no read comes back short.
    const fresh = randomBytes(size + 1024 * 1024)
    const { peer, sent, aborted, index } = await heldMidFile(root, 'doc.bin', () => {
      const fd = openSync(file, 'r+')
      writeSync(fd, fresh, 0, fresh.length, 0)
      closeSync(fd)
    })
    // Sent whole, the bytes would be named the old version while being partly the new file's.
    if (aborted === null) expect(contentVersion(sent)).toEqual(contentVersion(old))
    expect(aborted).toContain('changed while being read')
    await peer.until(() => index.get('doc.bin')!.version.equals(contentVersion(fresh)), 10_000, 'the new version indexed')
  })

  it('a file swapped for a named pipe is turned down at once, without waiting for a writer, and the others are still served', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'pipe.txt'), 'a file for now')
    writeFileSync(path.join(root, 'other.txt'), 'other')
    const { port, index } = await serve(root, new Set(['127.0.0.1:40001']))
    // Its watcher stopped: the swap is not seen (as in the moment before it is), the entry stays.
    await index.close()
    rmSync(path.join(root, 'pipe.txt'))
    execFileSync('mkfifo', [path.join(root, 'pipe.txt')])
    // Should the open wait for a writer (it stops the whole process), this one comes in 20 s and
    // lets it go on: then the answer came after it had written, and the test says so.
    const writer = spawn('sh', ['-c', `sleep 20; echo late > '${path.join(root, 'pipe.txt')}'`], { stdio: 'ignore' })
    const writerDone = new Promise((resolve) => writer.once('exit', resolve))
    cleanup.push(async () => {
      writer.kill('SIGKILL')
      await writerDone
    })
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    peer.send({ type: 'GET_FILES', files: [{ path: 'pipe.txt', version: null }, { path: 'other.txt', version: null }] })
    const reply = await peer.next('FILES', 30_000)
    expect(writer.exitCode).toBeNull()
    expect(reply.records[0]).toEqual({ status: 'abort', reason: expect.stringContaining('changed since it was indexed') })
    expect(reply.records[1]).toMatchObject({ status: 'content', data: Buffer.from('other') })
    peer.send({ type: 'GET_FILE', path: 'pipe.txt', version: null })
    expect((await peer.next('FILE_ABORT')).reason).toContain('changed since it was indexed')
  })

  it('never sends bytes from outside the folder when a folder in it is swapped for a link', async () => {
    const root = tempDir('shared-')
    mkdirSync(path.join(root, 'sub'))
    writeFileSync(path.join(root, 'sub', 'file.txt'), 'inside!')
    const outside = tempDir('outside-')
    writeFileSync(path.join(outside, 'file.txt'), 'SECRET!')
    // Same size and mtime as the indexed file: only the check of where the open landed stops it.
    utimesSync(path.join(root, 'sub', 'file.txt'), 1e9, 1e9)
    utimesSync(path.join(outside, 'file.txt'), 1e9, 1e9)
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    renameSync(path.join(root, 'sub'), path.join(root, 'gone'))
    symlinkSync(outside, path.join(root, 'sub'))
    peer.send({ type: 'GET_FILE', path: 'sub/file.txt', version: null })
    await peer.until(() => peer.has((m) => m.type === 'FILE_ABORT' || m.type === 'FILE_NOT_FOUND' || m.type === 'FILE_DATA'), 5000, 'an answer')
    expect(peer.has((m) => m.type === 'FILE_DATA')).toBe(false)
    // The same through GET_FILES: an abort record, no content.
    peer.send({ type: 'GET_FILES', files: [{ path: 'sub/file.txt', version: null }] })
    const reply = await peer.next('FILES')
    expect(reply.records).toHaveLength(1)
    expect(reply.records[0]!.status).not.toBe('content')
  })

  it('refuses a path .syncignore or the defaults ignore as not found, even when a peer names it', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'shared')
    writeFileSync(path.join(root, 'x.log'), 'ignored')
    writeFileSync(path.join(root, '.DS_Store'), 'junk')
    mkdirSync(path.join(root, 'build'))
    writeFileSync(path.join(root, 'build', 'small.bin'), 'built')
    writeFileSync(path.join(root, '.syncignore'), '*.log\nbuild/\n')
    const { port } = await serve(root, new Set(['127.0.0.1:40001']))
    const peer = await identified(port, { ip: '127.0.0.1', port: 40001 })
    peer.send({ type: 'GET_FILE_LIST' })
    expect((await peer.next('FILE_LIST')).files.map((f) => f.path)).toEqual(['a.txt'])
    for (const rel of ['x.log', '.DS_Store', '.syncignore', 'build/small.bin']) {
      peer.send({ type: 'GET_FILE', path: rel, version: null })
      expect(await peer.next('FILE_NOT_FOUND')).toEqual({ type: 'FILE_NOT_FOUND', path: rel })
    }
    peer.send({ type: 'GET_FILES', files: ['x.log', 'a.txt', '.syncignore', 'build/small.bin'].map((rel) => ({ path: rel, version: null })) })
    expect((await peer.next('FILES')).records.map((r) => r.status)).toEqual(['not-found', 'content', 'not-found', 'not-found'])
  })

  it('refuses a device the server has not announced with ERROR not-a-member, before its HELLO', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'secret')
    const { port, log } = await serve(root, new Set(['127.0.0.1:40001']))
    // A valid certificate, but not one the registry announced.
    const stranger = await RawPeer.connect(port, { identity: await newIdentity('stranger') })
    cleanup.push(() => stranger.close())
    stranger.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: 'stranger' })
    stranger.send({ type: 'GET_FILE_LIST' })
    stranger.send({ type: 'GET_FILE', path: 'a.txt', version: null })
    const error = await stranger.next('ERROR')
    expect(errorCodeName(error.code)).toBe('not-a-member')
    await stranger.waitClosed()
    // It learnt nothing: no HELLO, no list, no file.
    expect(stranger.messages.map((m) => m.type)).toEqual([])
    expect(log.find('error', { code: 'unknown-peer' })).toBeDefined()
  })

  it('admits a device whose announcement trails its call, and cuts it off once it has left', async () => {
    const root = tempDir('shared-')
    writeFileSync(path.join(root, 'a.txt'), 'for members')
    const { port, server, announce } = await serve(root, new Set())
    const late = await deviceAt('127.0.0.1:40005')
    const peer = await RawPeer.connect(port, { identity: late })
    cleanup.push(() => peer.close())
    peer.send({ type: 'HELLO', version: PROTOCOL_VERSION, role: 'client', heartbeatMs: 0, name: late.name })
    peer.send({ type: 'GET_FILE_LIST' })
    // Held until the registry's word comes: nothing is answered meanwhile.
    await new Promise((r) => setTimeout(r, 200))
    expect(peer.messages).toEqual([])
    await announce('127.0.0.1:40005')
    expect(await peer.next('HELLO')).toMatchObject({ role: 'client', name: 'folder-server' })
    expect((await peer.next('FILE_LIST')).files.map((f) => f.path)).toEqual(['a.txt'])
    // The registry says it left: its connection ends.
    server.peerLeft(late.id.toString('hex'))
    await peer.waitClosed()
  })
})
