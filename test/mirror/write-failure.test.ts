// Which cause a failed write into a mirror names (mirror/write-failure.ts): the text crossed a thread.
import { describe, expect, it } from 'vitest'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { MirrorWriter } from '../../src/main/engine/mirror/mirror-path'
import { asWriteFailure, couldNotWrite, placingFailure, writeCause, WRITE_FAILED } from '../../src/main/engine/mirror/write-failure'
import { tempDir } from '../helpers/temp'

describe('writeCause', () => {
  it.each([
    ["could not write a.txt from 127.0.0.1:4000: EROFS: read-only file system, open '/m/.dbs-tmp-1'", 'read-only'],
    ["cannot write into the mirror: EACCES: permission denied, mkdir '/m/sub'", 'no-permission'],
    ['EPERM: operation not permitted', 'no-permission'],
    ['could not write big.bin from 127.0.0.1:4000: ENOSPC: no space left on device, write', 'full'],
    ['EDQUOT: disk quota exceeded', 'full'],
    ['EIO: i/o error, write', 'disk-error'],
    ['EMFILE: too many open files', 'open-files'],
    ['ENFILE: file table overflow', 'open-files'],
    ["could not write a from b: ENOENT: no such file or directory, rename '/m/x' -> '/m/y/EROFS'", 'other'],
    ['something else entirely', 'other'],
  ])('%s → %s', (reason, cause) => {
    expect(writeCause(reason)).toBe(cause)
  })

  it('a failure of the disk travels as write-failed and names its cause; anything else is not one', () => {
    const failure = asWriteFailure(Object.assign(new Error('EROFS: read-only file system, open x'), { code: 'EROFS' }))
    expect(failure?.code).toBe(WRITE_FAILED)
    expect(writeCause(failure!.message)).toBe('read-only')
    expect(asWriteFailure(Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }))).toBeNull()
  })
})

describe('placingFailure', () => {
  it('a rename into a folder removed by hand says so, and is no failure of the disk; any other is one', () => {
    const mirror = tempDir('placing-')
    mkdirSync(path.join(mirror, 'sub'))
    const temp = path.join(mirror, 'sub', '.dbs-tmp-1')
    writeFileSync(temp, 'x')
    rmSync(path.join(mirror, 'sub'), { recursive: true })
    let error: unknown
    try {
      new MirrorWriter().commit(temp, path.join(mirror, 'sub', 'big.bin'))
    } catch (thrown) {
      error = thrown
    }
    const removed = placingFailure({ peer: '127.0.0.1:4000', path: 'sub/big.bin' }, error)
    expect([removed.code, removed.retry]).toEqual(['folder-removed', true])
    expect(removed.message).toBe('the folder of sub/big.bin from 127.0.0.1:4000 was removed while the file was being written into it; it comes again')
    const refused = placingFailure({ peer: '127.0.0.1:4000', path: 'sub/big.bin' }, Object.assign(new Error('EROFS: read-only file system, rename x'), { code: 'EROFS' }))
    expect([refused.code, writeCause(refused.message)]).toEqual([WRITE_FAILED, 'read-only'])
  })
})

describe('couldNotWrite', () => {
  const where = { peer: '127.0.0.1:4000', path: 'sub/big.bin' }
  it.each([
    // A temp file opened (here by the hash writer's thread, its error as text) in a folder removed by hand.
    ["ENOENT: no such file or directory, open '/m/sub/.dbs-tmp-part-8c70-2ef3'", 'folder-removed'],
    ['ENOSPC: no space left on device, write', WRITE_FAILED],
    ['EROFS: read-only file system, open x', WRITE_FAILED],
    ['the writer stopped', WRITE_FAILED],
  ])('%s → %s', (reason, code) => {
    const failure = couldNotWrite(where, reason)
    expect([failure.code, failure.retry]).toEqual([code, true])
  })
})
