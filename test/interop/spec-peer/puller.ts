// Written from docs/PROTOCOL.md (protocol 5) alone: the peer's (P's) side of §12: list, GET_FILE,
// GET_FILES, GET_BLOCK_LIST (checked as §12.8 says) and GET_BLOCKS (each block checked on arrival).
import { blockCount, blockHash, blockSizeOf, planOf, versionFromHashes } from './blocks'
import { ROLE_CLIENT, dial, readError, type Link } from './link'
import type { Identity } from './identity'
import type { Member } from './registry'
import { Reader, T, TYPE_NAMES, frame, str, u16, u32, u8, type Frame } from './wire'

export interface ListEntry {
  path: string
  version: Buffer
  size: number
  snapshot: boolean
}

export interface BlockList {
  version: Buffer
  size: number
  blockSize: number
  hashes: Buffer[]
}

export function describe(f: Frame | null): string {
  if (!f) return 'the connection closed'
  if (f.type === T.ERROR) {
    const e = readError(f.payload)
    return `ERROR ${e.code} ${e.text}`
  }
  if (f.type === T.FILE_ABORT) {
    const r = new Reader(f.payload, 'FILE_ABORT')
    return `FILE_ABORT ${r.str('path')}: ${r.str('reason')}`
  }
  return TYPE_NAMES.get(f.type) ?? `0x${f.type.toString(16)}`
}

/** A folder connection to a real client, pinned to the ID the registry announced for it (§12.1). */
export class Puller {
  private constructor(readonly link: Link) {}

  static async open(me: Identity, name: string, peer: Member): Promise<Puller> {
    const { link } = await dial(me, peer.endpoint.ip, peer.endpoint.port, peer.id, name, ROLE_CLIENT)
    return new Puller(link)
  }

  private async expect(type: number, what: string): Promise<Frame> {
    const f = await this.link.next()
    if (!f || f.type !== type) throw new Error(`${what}: expected ${TYPE_NAMES.get(type)}, got ${describe(f)}`)
    return f
  }

  /** GET_FILE_LIST: FILE_LIST frames until last = 1 (§12.3). */
  async list(): Promise<ListEntry[]> {
    await this.link.send(frame(T.GET_FILE_LIST))
    const entries: ListEntry[] = []
    for (;;) {
      const f = await this.expect(T.FILE_LIST, 'GET_FILE_LIST')
      const r = new Reader(f.payload, 'FILE_LIST')
      const last = r.flag('last')
      const count = r.u32('count')
      if (count * 43 > f.payload.length) throw new Error(`bad-frame: FILE_LIST: ${count} entries cannot fit`)
      for (let i = 0; i < count; i++) {
        const path = r.str('path')
        const version = r.bytes(32, 'version')
        const size = r.u64('size')
        const flags = r.u8('flags')
        if (flags & ~1) throw new Error(`bad-frame: FILE_LIST: flags 0x${flags.toString(16)} of "${path}" set bits other than snapshot`)
        entries.push({ path, version, size, snapshot: (flags & 1) === 1 })
      }
      r.end()
      if (last) return entries
    }
  }

  /** GET_FILE without a version: FILE_SIZE, then FILE_DATA totalling size; checked against FILE_SIZE's version. */
  async getFile(path: string): Promise<{ version: Buffer; content: Buffer }> {
    await this.link.send(frame(T.GET_FILE, str(path), u8(0)))
    const head = await this.expect(T.FILE_SIZE, `GET_FILE ${path}`)
    const r = new Reader(head.payload, 'FILE_SIZE')
    const echoed = r.str('path')
    const version = r.bytes(32, 'version')
    const size = r.u64('size')
    r.end()
    if (echoed !== path) throw new Error(`FILE_SIZE names "${echoed}", asked "${path}"`)
    const parts: Buffer[] = []
    let got = 0
    while (got < size) {
      const d = await this.expect(T.FILE_DATA, `GET_FILE ${path} after ${got} of ${size} bytes`)
      got += d.payload.length
      if (got > size) throw new Error(`size-mismatch: ${path}: more than ${size} bytes`)
      parts.push(d.payload)
    }
    const content = Buffer.concat(parts)
    if (!planOf(content).version.equals(version)) throw new Error(`hash-mismatch: ${path}`)
    return { version, content }
  }

  /** GET_FILES without versions: FILES frames until last = 1, one record per file in order. */
  async getFiles(paths: string[]): Promise<Array<{ status: number; version?: Buffer; content?: Buffer; reason?: string }>> {
    await this.link.send(frame(T.GET_FILES, u16(paths.length), ...paths.map((p) => Buffer.concat([str(p), u8(0)]))))
    const records: Array<{ status: number; version?: Buffer; content?: Buffer; reason?: string }> = []
    for (;;) {
      const f = await this.expect(T.FILES, 'GET_FILES')
      const r = new Reader(f.payload, 'FILES')
      const last = r.flag('last')
      const count = r.u16('count')
      for (let i = 0; i < count; i++) {
        const status = r.u8('status')
        if (status === 0) {
          const version = r.bytes(32, 'version')
          const size = r.u32('size')
          const content = r.bytes(size, 'content')
          if (!planOf(content).version.equals(version)) throw new Error(`hash-mismatch: ${paths[records.length]}`)
          records.push({ status, version, content })
        } else if (status === 4) records.push({ status, reason: r.str('reason') })
        else if (status >= 1 && status <= 3) records.push({ status })
        else throw new Error(`bad-frame: FILES: record ${records.length} has unknown status ${status}`)
      }
      r.end()
      if (records.length > paths.length) throw new Error('FILES: more records than files asked for')
      if (last) {
        if (records.length !== paths.length) throw new Error(`FILES: last = 1 after ${records.length} of ${paths.length} records`)
        return records
      }
    }
  }

  /** GET_BLOCK_LIST, its frames checked as §12.8 rules 1–5 say. */
  async blockList(path: string, version: Buffer): Promise<BlockList> {
    await this.link.send(frame(T.GET_BLOCK_LIST, str(path), version))
    const hashes: Buffer[] = []
    let first: { version: Buffer; size: number; blockSize: number } | null = null
    for (;;) {
      const f = await this.expect(T.BLOCK_LIST, `GET_BLOCK_LIST ${path}`)
      const r = new Reader(f.payload, 'BLOCK_LIST')
      const echoed = r.str('path')
      const v = r.bytes(32, 'version')
      const size = r.u64('size')
      const blockSize = r.u32('block size')
      const from = r.u32('first')
      const count = r.u32('count')
      const last = r.flag('last')
      if (count > 8192 || count * 32 > r.left()) throw new Error(`bad-frame: BLOCK_LIST: ${count} hashes`)
      for (let i = 0; i < count; i++) hashes.push(r.bytes(32, 'hash'))
      r.end()
      if (echoed !== path) throw new Error(`BLOCK_LIST names "${echoed}", asked "${path}"`)
      first ??= { version: v, size, blockSize }
      if (!v.equals(first.version) || size !== first.size || blockSize !== first.blockSize) throw new Error('bad-peer: BLOCK_LIST frames disagree')
      if (blockSize !== blockSizeOf(size)) throw new Error(`bad-peer: block size ${blockSize} is not that of ${size} bytes`)
      if (from !== hashes.length - count) throw new Error(`bad-peer: BLOCK_LIST frame starts at ${from}, expected ${hashes.length - count}`)
      if (count === 0 && !last) throw new Error('bad-peer: an empty BLOCK_LIST frame before the last')
      if (hashes.length > blockCount(size, blockSize)) throw new Error('bad-peer: more hashes than blocks')
      if (!last) continue
      if (hashes.length !== blockCount(size, blockSize)) throw new Error(`bad-peer: ${hashes.length} hashes for ${blockCount(size, blockSize)} blocks`)
      if (!versionFromHashes(size, blockSize, hashes).equals(v)) throw new Error('bad-peer: the hashes do not make the version')
      return { version: v, size, blockSize, hashes }
    }
  }

  /** GET_BLOCKS of one run: BLOCKS echoing the request, then FILE_DATA each within one block; every block checked. */
  async blocks(path: string, list: BlockList, first: number, count: number): Promise<Buffer> {
    await this.link.send(frame(T.GET_BLOCKS, str(path), list.version, u32(first), u16(count)))
    const head = await this.expect(T.BLOCKS, `GET_BLOCKS ${path} ${first}+${count}`)
    const r = new Reader(head.payload, 'BLOCKS')
    const echo = { path: r.str('path'), version: r.bytes(32, 'version'), first: r.u32('first'), count: r.u16('count') }
    r.end()
    if (echo.path !== path || !echo.version.equals(list.version) || echo.first !== first || echo.count !== count) throw new Error('BLOCKS does not echo its request')
    const out: Buffer[] = []
    for (let i = first; i < first + count; i++) {
      const length = Math.min(list.blockSize, list.size - i * list.blockSize)
      const parts: Buffer[] = []
      let got = 0
      while (got < length) {
        const d = await this.expect(T.FILE_DATA, `GET_BLOCKS ${path} block ${i}`)
        got += d.payload.length
        if (got > length) throw new Error(`a FILE_DATA crosses the end of block ${i}`)
        parts.push(d.payload)
      }
      const block = Buffer.concat(parts)
      if (!blockHash(block).equals(list.hashes[i]!)) throw new Error(`hash-mismatch: block ${i} of ${path}`)
      out.push(block)
    }
    return Buffer.concat(out)
  }

  /** One request as raw bytes; the first frame of its reply (or null: the connection closed). */
  async ask(bytes: Buffer): Promise<Frame | null> {
    await this.link.send(bytes)
    return this.link.next()
  }

  /** SUBSCRIBE: the empty INDEX_CHANGED (the acknowledgement), then FOLDER_STATE (§12.3, §12.5). */
  async subscribe(): Promise<boolean> {
    await this.link.send(frame(T.SUBSCRIBE))
    const ack = await this.expect(T.INDEX_CHANGED, 'SUBSCRIBE')
    if (!ack.payload.equals(u32(0))) throw new Error('SUBSCRIBE acknowledged with changes')
    const state = await this.expect(T.FOLDER_STATE, 'SUBSCRIBE')
    const r = new Reader(state.payload, 'FOLDER_STATE')
    const present = r.flag('present')
    r.end()
    return present
  }

  /** The next INDEX_CHANGED push (§12.2): upserts and deletes. */
  async changes(deadlineMs = 60_000): Promise<Change[]> {
    const f = await this.link.next(deadlineMs)
    if (!f || f.type !== T.INDEX_CHANGED) throw new Error(`expected INDEX_CHANGED, got ${describe(f)}`)
    const r = new Reader(f.payload, 'INDEX_CHANGED')
    const count = r.u32('count')
    if (count * 3 > f.payload.length) throw new Error(`bad-frame: INDEX_CHANGED: ${count} changes cannot fit`)
    const out: Change[] = []
    for (let i = 0; i < count; i++) {
      const op = r.u8('op')
      if (op === 1) {
        const path = r.str('path')
        const version = r.bytes(32, 'version')
        const size = r.u64('size')
        const flags = r.u8('flags')
        if (flags & ~1) throw new Error(`bad-frame: INDEX_CHANGED: flags 0x${flags.toString(16)} of "${path}"`)
        out.push({ op: 'upsert', path, version, size, snapshot: (flags & 1) === 1 })
      } else if (op === 2) out.push({ op: 'delete', path: r.str('path') })
      else throw new Error(`bad-frame: INDEX_CHANGED: unknown change ${op}`)
    }
    r.end()
    return out
  }

  close(): void {
    this.link.close()
  }
}

export type Change = ({ op: 'upsert' } & ListEntry) | { op: 'delete'; path: string }
