// CPU seconds from /proc: the benches compare by CPU where a shared machine's wall time says little.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** User and system CPU seconds of a process (/proc/PID/stat) or of one of its threads (/proc/PID/task/TID/stat). */
export function cpuTimes(statFile: string): { user: number; system: number } {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = readFileSync(statFile, 'utf8').split(') ')[1]!.split(' ')
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS }
}

/** A process's CPU so far (user + system, all its threads), in seconds; NaN once it is gone. */
export function cpuOf(pid: number): number {
  try {
    const { user, system } = cpuTimes(`/proc/${pid}/stat`)
    return user + system
  } catch {
    return NaN
  }
}
