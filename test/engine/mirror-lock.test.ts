// The mirror folder's lock over real files: one holder at a time, a dead holder's lock taken
// over, an unreadable one refused with the file to remove named.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MirrorLock } from '../../src/main/engine/client/mirror-lock'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

function lockFile(): string {
  return path.join(tempDir('lock-'), 'mirrors', '.dropbox-sync', 'lock')
}

describe('MirrorLock', () => {
  it('has one holder at a time, and is free again once released', () => {
    const file = lockFile()
    const first = new MirrorLock(file)
    first.acquire()
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]+\\n$`))
    expect(() => new MirrorLock(file).acquire()).toThrow(`is in use by another dropbox-sync client (pid ${process.pid})`)
    first.release()
    expect(existsSync(file)).toBe(false)
    const second = new MirrorLock(file)
    second.acquire()
    // Releasing a lock it no longer holds takes nothing from the new holder.
    first.release()
    expect(existsSync(file)).toBe(true)
    second.release()
    // Nothing but the lock itself was ever left in the folder.
    expect(readdirSync(path.dirname(file))).toEqual([])
  })

  it('takes over a lock left by a process that is gone', () => {
    const file = lockFile()
    mkdirSync(path.dirname(file), { recursive: true })
    // Pid 2^22 + 1 is above Linux's largest pid: no such process.
    writeFileSync(file, `${2 ** 22 + 1} feedface\n`)
    const lock = new MirrorLock(file)
    lock.acquire()
    expect(readFileSync(file, 'utf8')).toContain(`${process.pid} `)
    lock.release()
  })

  it('takes over a lock whose pid now belongs to some other program (after a reboot, say)', async () => {
    const file = lockFile()
    mkdirSync(path.dirname(file), { recursive: true })
    const other = spawn('sleep', ['30'])
    try {
      writeFileSync(file, `${other.pid} feedface\n`)
      const lock = new MirrorLock(file)
      lock.acquire()
      expect(readFileSync(file, 'utf8')).toContain(`${process.pid} `)
      lock.release()
    } finally {
      other.kill('SIGKILL')
    }
  })

  it('refuses an unreadable lock and names the file to remove', () => {
    const file = lockFile()
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, 'not a pid')
    expect(() => new MirrorLock(file).acquire()).toThrow(`(a lock that cannot be read); give this one its own mirror folder, or remove ${file} if no client uses it`)
  })
})

