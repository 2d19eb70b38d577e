// An rsync daemon (Debian's package) serving one folder on loopback, configured as
// ../shared/bench/rsync-pair.sh does, but kept up across pulls so that an edit can be pulled into a
// copy synced before, and started in a process group of its own so that killing it also kills
// the child it forked to serve a transfer: the sender, as a crash would end it.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { endWithBench, forget } from './at-exit'
import { freePort } from './syncthing-node'

/**
 * What every pull passes: archive mode, and the delta algorithm even though both ends are on one
 * machine (rsync's default between local paths is whole files; through a daemon it already
 * deltas, so this only says so).
 */
export const RSYNC_FLAGS = ['-a', '--no-whole-file']

export interface Pull {
  child: ChildProcess
  /** Seconds from spawn to exit, the exit code, and what rsync said on stderr. */
  done: Promise<{ seconds: number; code: number | null; errors: string }>
}

export class RsyncDaemon {
  private child: ChildProcess | null = null

  private constructor(
    private readonly conf: string,
    readonly port: number,
  ) {}

  static async start(src: string, work: string): Promise<RsyncDaemon> {
    mkdirSync(work, { recursive: true })
    const port = await freePort()
    const conf = path.join(work, 'rsyncd.conf')
    const uid = process.getuid?.() ?? 0
    const gid = process.getgid?.() ?? 0
    writeFileSync(conf, `port = ${port}\naddress = 127.0.0.1\nuse chroot = no\nuid = ${uid}\ngid = ${gid}\npid file = ${work}/pid\n[src]\npath = ${src}\nread only = yes\n`)
    const daemon = new RsyncDaemon(conf, port)
    await daemon.restart()
    return daemon
  }

  /** (Re)starts the daemon; resolves once it accepts connections. */
  async restart(): Promise<void> {
    this.child = spawn('rsync', ['--daemon', '--no-detach', `--config=${this.conf}`], { stdio: 'ignore', detached: true })
    endWithBench(this.child.pid, 'group')
    const deadline = Date.now() + 10_000
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline) throw new Error(`the rsync daemon did not listen on ${this.port}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Pulls the folder into `dst` with RSYNC_FLAGS and `flags`. */
  pull(dst: string, flags: string[] = []): Pull {
    const t0 = performance.now()
    const child = spawn('rsync', [...RSYNC_FLAGS, ...flags, `rsync://127.0.0.1:${this.port}/src/`, `${dst}/`], { stdio: ['ignore', 'ignore', 'pipe'] })
    let errors = ''
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (errors += text))
    const done = new Promise<{ seconds: number; code: number | null; errors: string }>((resolve) =>
      child.once('exit', (code) => resolve({ seconds: (performance.now() - t0) / 1000, code, errors })),
    )
    return { child, done }
  }

  /** A pull that must succeed: its seconds. */
  async pullOk(dst: string, flags: string[] = []): Promise<number> {
    const { seconds, code, errors } = await this.pull(dst, flags).done
    if (code !== 0) throw new Error(`rsync exited with ${code}: ${errors}`)
    return seconds
  }

  /** SIGKILL to the daemon and the children serving transfers. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-child.pid, 'SIGKILL')
    await exited
    forget(child.pid)
    this.child = null
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
