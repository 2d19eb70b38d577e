// A file written to all along by another process, as a download or a recording is: appends keep
// coming however busy the test's own event loop is.
import { spawn } from 'node:child_process'
import { once } from 'node:events'

const SCRIPT = `
const { appendFileSync } = require('node:fs')
const [file, bytes, everyMs] = process.argv.slice(1)
const chunk = Buffer.alloc(Number(bytes), 'x')
setInterval(() => appendFileSync(file, chunk), Number(everyMs))
`

export interface Appender {
  /** Stops the appends; resolves once the writer has exited (no append comes after). */
  stop(): Promise<void>
}

/** Appends `bytes` bytes to `file` every `everyMs` ms until stopped. */
export function startAppender(file: string, bytes: number, everyMs: number): Appender {
  const child = spawn(process.execPath, ['-e', SCRIPT, file, String(bytes), String(everyMs)], { stdio: 'ignore' })
  const exited = once(child, 'exit')
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill()
      await exited
    },
  }
}
