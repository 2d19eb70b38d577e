// §1: frames completed before a broken one — in the same read too — are handled first, in order;
// then ERROR, then the close. The folder server answers through a queue, so its answers must go
// out before the ERROR, not be dropped by it.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FolderServer } from '../../src/main/engine/client/folder-server'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { EventLog } from '../helpers/events'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { HELLO } from './flooder'

const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})

const PEER = { ip: '127.0.0.1', port: 40001 }

async function serve(root: string): Promise<number> {
  const log = new EventLog()
  const index = new FolderIndex(root, path.join(tempDir('state-'), 'index.json'), log.sink)
  await index.open()
  const server = new FolderServer({
    port: 0,
    host: '127.0.0.1',
    nodeId: randomBytes(16),
    index,
    peers: { has: (key) => key === '127.0.0.1:40001', waitFor: async (key) => key === '127.0.0.1:40001' },
    onEvent: log.sink,
  })
  const { port } = await server.start()
  cleanup.push(() => index.close(), () => server.stop())
  return port
}

/** Writes `bytes` in one write and collects every message until the connection closes. */
function exchange(port: number, bytes: Buffer): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const decoder = new FrameDecoder()
    const got: Message[] = []
    const timer = setTimeout(() => reject(new Error(`not closed within 10 s; got ${got.map((m) => m.type).join(', ')}`)), 10_000)
    socket.on('data', (chunk) => {
      for (const body of decoder.push(chunk)) got.push(decodeBody(body))
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(got)
    })
    socket.write(bytes)
  })
}

const requests = (): Buffer =>
  Buffer.concat([
    encodeMessage(HELLO),
    encodeMessage({ type: 'IDENTIFY', endpoint: PEER }),
    encodeMessage({ type: 'GET_FILE_LIST' }),
    encodeMessage({ type: 'GET_FILE', path: 'a.txt', version: null }),
  ])

describe('a broken frame in the same read as requests before it', () => {
  for (const [what, broken, code] of [
    ['a length of 0', Buffer.from([0, 0, 0, 0]), 'bad-frame'],
    ['an unknown type', Buffer.from([0, 0, 0, 1, 0xee]), 'unknown-type'],
    ['a frame too large', Buffer.from([0xff, 0, 0, 0]), 'frame-too-large'],
  ] as const) {
    it(`the folder server answers every request before ${what}, then sends ERROR, then closes`, async () => {
      const root = tempDir('shared-')
      writeFileSync(path.join(root, 'a.txt'), 'hello')
      const port = await serve(root)
      const got = await exchange(port, Buffer.concat([requests(), broken, encodeMessage({ type: 'GET_FILE_LIST' })]))
      expect(got.map((m) => m.type)).toEqual(['HELLO', 'IDENTIFY_OK', 'FILE_LIST', 'FILE_SIZE', 'FILE_DATA', 'ERROR'])
      expect(got[2]).toMatchObject({ last: true, files: [expect.objectContaining({ path: 'a.txt', size: 5 })] })
      expect(got[5]).toMatchObject({ type: 'ERROR', code: ErrorCodes[code] })
    })
  }
})
