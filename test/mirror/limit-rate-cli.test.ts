// --limit-rate as a user runs it: real CLI clients on 127.0.0.1 move a few MiB, limited at the
// sender (upload) or at the receiver (download, over four worker threads and their connections).
// The time may only be bounded from below: the limit must hold, the machine may be slow.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, runCliOnce } from '../helpers/cli'
import { expectMirrored, startClient, startServer, write } from '../helpers/mirror-clients'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { mirrorOf } from '../helpers/tree'

afterEach(() => {
  killAll()
  removeTempDirs()
})

const KiB = 1024
const LIMIT_KIB = 1024
/** 12 files of 512 KiB in folders of their own: the receiver's workers each take some. */
const FILES = 12
const FILE_BYTES = 512 * KiB
const TOTAL = FILES * FILE_BYTES
/**
 * What may move before the limit bites: the bucket's burst (50 ms), one read per worker thread
 * taken before its pause, the lists and frame headers. Far more than all of them.
 */
const SLACK = 1024 * KiB

function sharedFolder(): string {
  const dir = tempDir('limit-sender-')
  for (let i = 0; i < FILES; i++) write(dir, `part${i}/data${i}.bin`, randomBytes(FILE_BYTES))
  return dir
}

/** Seconds from the receiver's start until it holds the sender's folder, exact. */
async function timedSync(senderFlags: string[], receiverFlags: string[]): Promise<number> {
  const serverPort = await startServer()
  const senderDir = sharedFolder()
  const sender = await startClient(serverPort, senderDir, ...senderFlags)
  const started = performance.now()
  const receiver = await startClient(serverPort, tempDir('limit-receiver-'), '-w', '4', ...receiverFlags)
  await receiver.cli.waitFor('peer-synced', { peer: `127.0.0.1:${sender.port}` }, 60_000)
  const seconds = (performance.now() - started) / 1000
  await expectMirrored(senderDir, mirrorOf(receiver.dir, sender.port))
  return seconds
}

/** The least time TOTAL bytes can take at the limit, whatever else is slow. */
const FLOOR_SECONDS = (TOTAL - SLACK) / (LIMIT_KIB * KiB)

describe('--limit-rate', () => {
  it('holds what the sender uploads to all of the receiver\'s connections together, and every byte arrives', async () => {
    expect(await timedSync(['--limit-rate', String(LIMIT_KIB)], [])).toBeGreaterThanOrEqual(FLOOR_SECONDS)
  }, 90_000)

  it('holds what the receiver downloads over all of its worker threads together, and every byte arrives', async () => {
    expect(await timedSync([], ['--limit-rate', String(LIMIT_KIB)])).toBeGreaterThanOrEqual(FLOOR_SECONDS)
  }, 90_000)

  it.each(['-1', '1.5', 'fast', '', '10000001'])('refuses %j with one line naming the flag, exit 2', async (value) => {
    const { code, stdout, stderr } = await runCliOnce(['client', '-d', tempDir('limit-bad-'), '-sp', '1', '-sip', '127.0.0.1', '--limit-rate', value])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      `error: option '--limit-rate <KiB/s>' argument '${value}' is invalid. the bandwidth limit must be a whole number of KiB/s from 0 (no limit) to 10000000.\n`,
    )
  })
})
