// Which cause a failed write into a mirror names (mirror/write-failure.ts): the text crossed a thread.
import { describe, expect, it } from 'vitest'
import { asWriteFailure, writeCause, WRITE_FAILED } from '../../src/main/engine/mirror/write-failure'

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
