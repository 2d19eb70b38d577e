// §1: frames completed before a broken one — in the same read too — are handled first, in order;
// then ERROR, then the close. The folder server answers through a queue, so its answers must go
// out before the ERROR, not be dropped by it. Over mutual TLS as a test device: the folder server
// admits an announced device at its HELLO (no IDENTIFY step), and an unannounced one gets
// ERROR not-a-member and nothing else, whatever it pipelined behind its HELLO.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeBody, encodeMessage } from '../../src/main/engine/protocol/codec'
import { ErrorCodes } from '../../src/main/engine/protocol/errors'
import { FrameDecoder } from '../../src/main/engine/protocol/frame-decoder'
import type { Message } from '../../src/main/engine/protocol/messages'
import { tlsTo } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { newIdentity, type TestIdentity } from '../helpers/test-identity'
import { HELLO } from './flooder'
import { startFolderServer, startRegistry } from './servers'

const cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  removeTempDirs()
})

/** Serves `root` to `announced` only. */
async function serve(root: string, announced: TestIdentity): Promise<number> {
  const folder = await startFolderServer(root, [announced])
  cleanup.push(() => folder.stop())
  return folder.port
}

/** Writes `bytes` in one write, as `identity`, and collects every message until the connection closes. */
async function exchange(port: number, identity: TestIdentity, bytes: Buffer): Promise<Message[]> {
  const socket = await tlsTo(port, '127.0.0.1', identity)
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder()
    const got: Message[] = []
    const timer = setTimeout(() => reject(new Error(`not closed within 10 s; got ${got.map((m) => m.type).join(', ')}`)), 10_000)
    socket.on('data', (chunk: Buffer) => {
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
      const member = await newIdentity('announced')
      const port = await serve(root, member)
      const got = await exchange(port, member, Buffer.concat([requests(), broken, encodeMessage({ type: 'GET_FILE_LIST' })]))
      expect(got.map((m) => m.type)).toEqual(['HELLO', 'FILE_LIST', 'FILE_SIZE', 'FILE_DATA', 'ERROR'])
      expect(got[1]).toMatchObject({ last: true, files: [expect.objectContaining({ path: 'a.txt', size: 5 })] })
      expect(got[4]).toMatchObject({ type: 'ERROR', code: ErrorCodes[code] })
    })

    it(`a device the server did not announce sending the same, ${what} included, gets ERROR not-a-member and nothing else`, async () => {
      const root = tempDir('shared-')
      writeFileSync(path.join(root, 'a.txt'), 'hello')
      const port = await serve(root, await newIdentity('announced'))
      const got = await exchange(port, await newIdentity('stranger'), Buffer.concat([requests(), broken, encodeMessage({ type: 'GET_FILE_LIST' })]))
      expect(got.map((m) => m.type)).toEqual(['ERROR'])
      expect(got[0]).toMatchObject({ type: 'ERROR', code: ErrorCodes['not-a-member'] })
    })
  }
})

describe('a broken frame in the same read as a frame still being judged', () => {
  it('a folder server admits the HELLO first: HELLO, then the ERROR of the broken frame', async () => {
    const member = await newIdentity('announced')
    const port = await serve(tempDir('shared-'), member)
    const got = await exchange(port, member, Buffer.concat([encodeMessage(HELLO), Buffer.from([0xff, 0, 0, 0])]))
    expect(got.map((m) => m.type)).toEqual(['HELLO', 'ERROR'])
    expect(got[1]).toMatchObject({ code: ErrorCodes['frame-too-large'] })
  })

  it('a folder server refuses a device it was not told of first: ERROR not-a-member, nothing about the broken frame', async () => {
    const port = await serve(tempDir('shared-'), await newIdentity('announced'))
    const got = await exchange(port, await newIdentity('stranger'), Buffer.concat([encodeMessage(HELLO), Buffer.from([0, 0, 0, 0])]))
    expect(got.map((m) => (m.type === 'ERROR' ? m.code : m.type))).toEqual([ErrorCodes['not-a-member']])
  })

  it("the registry server answers a JOIN with an invite it never made before the broken frame's ERROR", async () => {
    const { server, port } = await startRegistry()
    cleanup.push(() => server.stop())
    const join = encodeMessage({ type: 'JOIN', token: Buffer.alloc(16, 0xa5) })
    const got = await exchange(port, await newIdentity('stranger'), Buffer.concat([encodeMessage(HELLO), join, Buffer.from([0, 0, 0, 0])]))
    expect(got.map((m) => (m.type === 'ERROR' ? m.code : m.type))).toEqual(['HELLO', ErrorCodes['invite-unknown']])
  })
})
