// The lock around the member store's read-modify-write (identity/file-lock.ts): never two holders
// at once, even while the thread pool is busy and a holder's own removal of the lock is slow.
import { pbkdf2 } from 'node:crypto'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { withFileLock } from '../../src/main/engine/identity/file-lock'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

/** Keeps one of libuv's threads busy for a while: file operations queue behind it. */
const busyThread = (): Promise<void> => new Promise((resolve) => pbkdf2('x', 'y', 100_000, 32, 'sha256', () => resolve()))

describe('withFileLock', () => {
  it('has one holder at a time among many in one process, with the thread pool busy', async () => {
    const lock = path.join(tempDir('lock-'), 'store.lock')
    let inside = 0
    let most = 0
    const busy: Array<Promise<void>> = []
    const work = async (): Promise<void> => {
      most = Math.max(most, ++inside)
      await sleep(30)
      inside--
      // The holder's removal of the lock, once it lets go, waits behind these for a thread.
      for (let i = 0; i < 4; i++) busy.push(busyThread())
    }
    await Promise.all(Array.from({ length: 8 }, () => withFileLock(lock, work)))
    await Promise.all(busy)
    expect(most).toBe(1)
  })
})
