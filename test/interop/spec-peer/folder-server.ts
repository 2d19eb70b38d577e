// Written from docs/PROTOCOL.md (protocol 5) alone: the folder server's (F's) side of §12: admission
// on HELLO (§12.1), the replies of §12.3 in request order, SUBSCRIBE and INDEX_CHANGED pushes (§12.5).
import tls from 'node:tls'
import { planOf, type BlockPlan } from './blocks'
import { deviceIdOf, type Identity } from './identity'
import { Link, ROLE_CLIENT, helloFrame, readHello, tlsOptions } from './link'
import type { RegistryLink } from './registry'
import { FILE_CHUNK_BYTES, Reader, T, TYPE_NAMES, frame, str, u16, u32, u64, u8, type Frame } from './wire'

const SMALL_FILE = 65_536
const FILES_FRAME_TARGET = 262_144
const HASHES_PER_FRAME = 8192
const ANNOUNCE_WAIT_MS = 3000
const ERR_UNEXPECTED = 8
const ERR_NOT_A_MEMBER = 17
const GONE = 'the shared folder is not there for now'

interface Served {
  content: Buffer
  plan: BlockPlan
  snapshot: boolean
}

interface Conn {
  link: Link
  /** Replies and pushes go out one after another, so a push never falls inside a reply (§12.4). */
  chain: Promise<void>
}

function entry(path: string, f: Served): Buffer {
  return Buffer.concat([str(path), f.plan.version, u64(f.plan.size), u8(f.snapshot ? 1 : 0)])
}

export class SpecFolderServer {
  readonly files = new Map<string, Served>()
  /** Every request type any peer sent, in order; what the real client asked of us. */
  readonly requests: string[] = []
  /** Requests the spec did not lead us to expect, or that we could not answer. */
  readonly unexpected: string[] = []
  private readonly conns = new Set<Conn>()
  private readonly subscribers = new Set<Conn>()
  private server: tls.Server | null = null
  private present = true
  private whenBack: Array<() => void> = []
  /** How this F cuts its replies: any cut the spec allows must do for a peer (§12.3). */
  readonly cuts = { fileData: FILE_CHUNK_BYTES, hashesPerFrame: HASHES_PER_FRAME, smallInOne: true }
  /**
   * How this F misbehaves, to see the real peer hold to §12.4 and §12.7: `abortAfter` (path →
   * bytes) sends FILE_ABORT once that much of a GET_FILE is out; `lie` serves wrong bytes under
   * the honest version; `tooLarge` answers GET_FILES with too-large whatever the size;
   * `changeUnannounced` (path → content) changes the file, unannounced, just before a GET_FILE,
   * GET_FILES or GET_BLOCK_LIST of it (the reply then names a version F has not announced, as §12.3
   * allows); `badList` sends a block list with one hash wrong; `listTwice` (path → content) lists a
   * path a second time.
   */
  readonly faults = { listTwice: new Map<string, Buffer>(), badList: new Set<string>(), abortAfter: new Map<string, number>(), lie: new Set<string>(), tooLarge: new Set<string>(), changeUnannounced: new Map<string, Buffer>() }

  constructor(
    private readonly me: Identity,
    private readonly name: string,
    private readonly registry: () => RegistryLink | null,
  ) {}

  setFile(path: string, content: Buffer, snapshot = false): void {
    const served = { content, plan: planOf(content), snapshot }
    this.files.set(path, served)
    this.push(1, u8(1), entry(path, served))
  }

  deleteFile(path: string): void {
    this.files.delete(path)
    this.push(1, u8(2), str(path))
  }

  /** A delete and an upsert in one INDEX_CHANGED: a rename (§12.5). */
  renameFile(from: string, to: string): void {
    const served = this.files.get(from)!
    this.files.delete(from)
    this.files.set(to, served)
    this.push(2, u8(2), str(from), u8(1), entry(to, served))
  }

  /** §12.2 FOLDER_STATE: gone for now (aborts, lists held), or back (every file anew, then present 1). */
  setPresent(present: boolean): void {
    this.present = present
    if (present) {
      const all = [...this.files].map(([p, f]) => Buffer.concat([u8(1), entry(p, f)]))
      if (all.length) this.push(all.length, ...all)
      for (const wake of this.whenBack.splice(0)) wake()
    }
    for (const s of this.subscribers) void this.enqueue(s, () => s.link.send(frame(T.FOLDER_STATE, u8(present ? 1 : 0))))
  }

  private push(count: number, ...changes: Buffer[]): void {
    for (const s of this.subscribers) void this.enqueue(s, () => s.link.send(frame(T.INDEX_CHANGED, u32(count), ...changes)))
  }

  /** The bytes this F sends of a file: the file's, or (a fault) one byte wrong. */
  private bytesOf(path: string, file: Served): Buffer {
    if (!this.faults.lie.has(path) || file.content.length === 0) return file.content
    const wrong = Buffer.from(file.content)
    wrong[wrong.length >> 1]! ^= 0xff
    return wrong
  }

  listen(host = '127.0.0.1'): Promise<number> {
    const server = tls.createServer({ ...tlsOptions(this.me), requestCert: true }, (socket) => this.accept(socket))
    this.server = server
    return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)))
  }

  private accept(socket: tls.TLSSocket): void {
    const raw = socket.getPeerCertificate(false)?.raw
    if (!raw || socket.alpnProtocol !== 'dropbox-sync/5') {
      socket.destroy()
      return
    }
    const link = new Link(socket)
    link.peerId = deviceIdOf(raw)
    const conn: Conn = { link, chain: Promise.resolve() }
    this.conns.add(conn)
    link.once('closed', () => {
      this.conns.delete(conn)
      this.subscribers.delete(conn)
    })
    void this.serve(conn).catch((error: Error) => {
      this.unexpected.push(`serving: ${error.message}`)
      link.destroy()
    })
  }

  /** §12.1: admitted only when the registry announced this device ID; wait up to 3 s for its USER_ON. */
  private async admitted(id: Buffer): Promise<boolean> {
    const key = id.toString('hex')
    const deadline = Date.now() + ANNOUNCE_WAIT_MS
    for (;;) {
      if (this.registry()?.online.has(key)) return true
      if (Date.now() >= deadline) return false
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  private async serve(conn: Conn): Promise<void> {
    const { link } = conn
    const first = await link.next(5000)
    if (!first) return
    if (first.type !== T.HELLO) return this.refuse(conn, ERR_UNEXPECTED, `${TYPE_NAMES.get(first.type)} before HELLO: every connection starts with HELLO`)
    readHello(first.payload)
    if (!(await this.admitted(link.peerId!))) return this.refuse(conn, ERR_NOT_A_MEMBER, 'this device was not announced by the server')
    await link.send(helloFrame(ROLE_CLIENT, 5000, this.name))
    for (;;) {
      const f = await link.next(0)
      if (!f) return
      this.requests.push(TYPE_NAMES.get(f.type) ?? `0x${f.type.toString(16)}`)
      const reply = this.enqueue(conn, () => this.answer(conn, f))
      await reply
      if (link.closed) return
    }
  }

  private enqueue(conn: Conn, job: () => Promise<void>): Promise<void> {
    conn.chain = conn.chain.then(job, job)
    return conn.chain
  }

  private async refuse(conn: Conn, code: number, text: string): Promise<void> {
    await conn.link.send(frame(T.ERROR, u16(code), str(text)))
    conn.link.close()
  }

  private async answer(conn: Conn, f: Frame): Promise<void> {
    const send = (bytes: Buffer): Promise<void> => conn.link.send(bytes)
    switch (f.type) {
      case T.GET_FILE_LIST: {
        new Reader(f.payload, 'GET_FILE_LIST').end()
        if (!this.present) await new Promise<void>((resolve) => this.whenBack.push(resolve))
        const entries = [...this.files].map(([p, s]) => entry(p, s))
        for (const [p, content] of this.faults.listTwice) entries.push(entry(p, { content, plan: planOf(content), snapshot: false }))
        return send(frame(T.FILE_LIST, u8(1), u32(entries.length), ...entries))
      }
      case T.SUBSCRIBE: {
        new Reader(f.payload, 'SUBSCRIBE').end()
        await send(frame(T.INDEX_CHANGED, u32(0)))
        await send(frame(T.FOLDER_STATE, u8(this.present ? 1 : 0)))
        this.subscribers.add(conn)
        return
      }
      case T.GET_FILE: {
        const r = new Reader(f.payload, 'GET_FILE')
        const path = r.str('path')
        const held = r.flag('has version') ? r.bytes(32, 'version') : null
        r.end()
        this.changeUnannounced(path)
        const file = this.files.get(path)
        if (!file) return send(frame(T.FILE_NOT_FOUND, str(path)))
        if (!this.present) return send(frame(T.FILE_ABORT, str(path), str(GONE)))
        if (held?.equals(file.plan.version)) return send(frame(T.FILE_UP_TO_DATE, str(path)))
        await send(frame(T.FILE_SIZE, str(path), file.plan.version, u64(file.plan.size)))
        const chunk = file.plan.size <= SMALL_FILE && this.cuts.smallInOne ? SMALL_FILE : this.cuts.fileData
        const bytes = this.bytesOf(path, file)
        const abortAt = this.faults.abortAfter.get(path)
        for (let at = 0; at < bytes.length; at += chunk) {
          if (abortAt !== undefined && at >= abortAt) {
            this.faults.abortAfter.delete(path)
            return send(frame(T.FILE_ABORT, str(path), str('a fault of the spec peer')))
          }
          await send(frame(T.FILE_DATA, bytes.subarray(at, at + chunk)))
        }
        return
      }
      case T.GET_FILES: {
        const r = new Reader(f.payload, 'GET_FILES')
        const count = r.u16('count')
        if (count === 0 || count > 256) throw new Error(`GET_FILES count ${count}`)
        const asked: Array<{ path: string; held: Buffer | null }> = []
        for (let i = 0; i < count; i++) asked.push({ path: r.str('path'), held: r.flag('has version') ? r.bytes(32, 'version') : null })
        r.end()
        let records: Buffer[] = []
        let bytes = 0
        for (const [i, a] of asked.entries()) {
          const record = this.record(a.path, a.held)
          records.push(record)
          bytes += record.length
          const last = i === asked.length - 1
          if (last || bytes >= FILES_FRAME_TARGET) {
            await send(frame(T.FILES, u8(last ? 1 : 0), u16(records.length), ...records))
            records = []
            bytes = 0
          }
        }
        return
      }
      case T.GET_BLOCK_LIST: {
        const r = new Reader(f.payload, 'GET_BLOCK_LIST')
        const path = r.str('path')
        r.bytes(32, 'version')
        r.end()
        this.changeUnannounced(path)
        const file = this.files.get(path)
        if (!file) return send(frame(T.FILE_NOT_FOUND, str(path)))
        if (!this.present) return send(frame(T.FILE_ABORT, str(path), str(GONE)))
        const { version, size, blockSize } = file.plan
        const hashes = this.faults.badList.has(path) ? file.plan.hashes.map((h, i) => (i === 0 ? Buffer.alloc(32, 7) : h)) : file.plan.hashes
        const per = this.cuts.hashesPerFrame
        for (let from = 0; ; from += per) {
          const part = hashes.slice(from, from + per)
          const last = from + per >= hashes.length
          await send(frame(T.BLOCK_LIST, str(path), version, u64(size), u32(blockSize), u32(from), u32(part.length), u8(last ? 1 : 0), ...part))
          if (last) return
        }
      }
      case T.GET_BLOCKS: {
        const r = new Reader(f.payload, 'GET_BLOCKS')
        const path = r.str('path')
        const version = r.bytes(32, 'version')
        const first = r.u32('first')
        const count = r.u16('count')
        r.end()
        if (count === 0) throw new Error('GET_BLOCKS count 0')
        const file = this.files.get(path)
        if (!file) return send(frame(T.FILE_NOT_FOUND, str(path)))
        if (!this.present) return send(frame(T.FILE_ABORT, str(path), str(GONE)))
        const { plan } = file
        if (!version.equals(plan.version)) return send(frame(T.FILE_ABORT, str(path), str('the file changed; a new version follows')))
        if (first + count > plan.hashes.length) return send(frame(T.FILE_ABORT, str(path), str('the run goes past the last block')))
        await send(frame(T.BLOCKS, str(path), version, u32(first), u16(count)))
        const bytes = this.bytesOf(path, file)
        for (let b = first; b < first + count; b++) {
          const end = Math.min((b + 1) * plan.blockSize, plan.size)
          for (let at = b * plan.blockSize; at < end; at += this.cuts.fileData) await send(frame(T.FILE_DATA, bytes.subarray(at, Math.min(at + this.cuts.fileData, end))))
        }
        return
      }
      default:
        this.unexpected.push(`a peer sent ${TYPE_NAMES.get(f.type) ?? `0x${f.type.toString(16)}`} on a folder connection`)
        return this.refuse(conn, ERR_UNEXPECTED, `${TYPE_NAMES.get(f.type)} is not a request a client answers`)
    }
  }

  private changeUnannounced(path: string): void {
    const changed = this.faults.changeUnannounced.get(path)
    if (!changed) return
    this.faults.changeUnannounced.delete(path)
    this.files.set(path, { content: changed, plan: planOf(changed), snapshot: false })
  }

  /** One FILES record (§12.2): content, up-to-date, not-found, too-large or abort. */
  private record(path: string, held: Buffer | null): Buffer {
    this.changeUnannounced(path)
    const file = this.files.get(path)
    if (!file) return u8(2)
    if (!this.present) return Buffer.concat([u8(4), str(GONE)])
    if (held?.equals(file.plan.version)) return u8(1)
    if (file.plan.size > SMALL_FILE || this.faults.tooLarge.has(path)) return u8(3)
    return Buffer.concat([u8(0), file.plan.version, u32(file.plan.size), this.bytesOf(path, file)])
  }

  /** Folder connections open now (admitted or not). */
  get connections(): number {
    return this.conns.size
  }

  /** USER_OFF of a device: close its folder connections (§12.1). */
  drop(id: Buffer): void {
    for (const c of this.conns) if (c.link.peerId?.equals(id)) c.link.close()
  }

  close(): void {
    for (const c of this.conns) c.link.destroy()
    this.server?.close()
  }
}
