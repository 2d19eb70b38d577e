// Waiting in a test for a state that timers or sockets bring about: polled, with a generous
// deadline only (never a threshold), and an error that names what never came.
import { setTimeout as sleep } from 'node:timers/promises'

export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}
