// A process seen from outside, the way an operator would: is it still there, how much memory it
// holds (Linux /proc).
import { readFileSync } from 'node:fs'

/** Resident memory of process `pid` in bytes (VmRSS of /proc/PID/status). Throws if it is gone. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const line = status.split('\n').find((l) => l.startsWith('VmRSS:'))
  if (!line) throw new Error(`/proc/${pid}/status has no VmRSS line (a zombie?)`)
  const kb = Number(/(\d+)\s*kB/.exec(line)?.[1])
  if (!Number.isFinite(kb)) throw new Error(`cannot read VmRSS from "${line}"`)
  return kb * 1024
}

/** Whether `pid` names a live process (not a zombie waiting to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

export const MB = 1024 * 1024
