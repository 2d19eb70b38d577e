// What the bench starts ends with it, even when it is interrupted (SIGINT, SIGTERM): programs
// under test (some in process groups of their own, so that a kill reaches their children) and
// temp folders. Nothing else would end or remove them.
const processes = new Map<number, 'process' | 'group'>()
const hooks: Array<() => void> = []
let installed = false

function install(): void {
  if (installed) return
  installed = true
  process.once('exit', () => {
    for (const [pid, kind] of processes) {
      try {
        process.kill(kind === 'group' ? -pid : pid, 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
    for (const hook of hooks) hook()
  })
  // Without a handler these end the process without its 'exit' event.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143))
}

/** SIGKILL to `pid` (or to its process group) when the bench exits, unless forgotten first. */
export function endWithBench(pid: number | undefined, kind: 'process' | 'group' = 'process'): void {
  if (pid === undefined) return
  install()
  processes.set(pid, kind)
}

export function forget(pid: number | undefined): void {
  if (pid !== undefined) processes.delete(pid)
}

/** Runs `hook` (synchronous) when the bench exits. */
export function atBenchExit(hook: () => void): void {
  install()
  hooks.push(hook)
}
