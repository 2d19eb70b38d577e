// Resident memory of a program under test, sampled while it works.
import { readdirSync, readFileSync } from 'node:fs'

/** Resident memory of a process and all its descendants (rsync forks its receiver), in MB. */
export function rssTreeMb(pid: number): number {
  let kb = 0
  const stack = [pid]
  while (stack.length) {
    const p = stack.pop()!
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0)
      // Children are listed per thread that forked them (Go forks from any of its threads).
      for (const task of readdirSync(`/proc/${p}/task`)) {
        stack.push(...readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
      }
    } catch {
      // It exited meanwhile.
    }
  }
  return kb / 1024
}

/** The highest rssTreeMb of `pid` (asked each time: a process may be restarted), every 50 ms until stopped. */
export function rssPeak(pid: () => number | undefined): { stop(): number } {
  let peak = 0
  const sample = (): void => {
    const p = pid()
    if (p) peak = Math.max(peak, rssTreeMb(p))
  }
  const timer = setInterval(sample, 50)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return peak
    },
  }
}
