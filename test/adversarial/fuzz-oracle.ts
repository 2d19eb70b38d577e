// The fuzzer's judging side. Each case's bytes go over a real mutual-TLS connection as a test
// device; a model of the target (protocol 5: framing, HELLO, JOIN / JOIN_OK / JOIN_PENDING and
// membership, the registry's requests, a folder server that admits only announced devices)
// walks the frames the target will see, in order, and says which reply each one earns. The
// replies that arrive are held against it: every reply decodes, is the documented one (an ERROR
// with the code the frame earns, then a close; not-a-member for whatever a device that is no
// member asks; the file's exact bytes), arrives within a generous deadline, nothing names or
// carries a file from outside the shared folder, and a device that is no member learns nothing:
// no list, no USER_ON, no HELLO from a folder server, no file.
import { ProtocolError, ErrorCodes, type ErrorCodeName } from '../../src/main/engine/protocol/errors'
import { decodeBody } from '../../src/main/engine/protocol/codec'
import { BATCH_FILE_BYTES, MessageType, PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'
import type { FileRecord, Message, MessageOf } from '../../src/main/engine/protocol/messages'
import { encodeMessage } from '../../src/main/engine/protocol/codec'
import { endpointKey } from '../../src/shared/endpoint'
import { HostilePeer } from '../helpers/hostile-peer'
import type { TestIdentity } from '../helpers/test-identity'
import { describeBytes, fuzzHello, makeCase, walk, type CaseContext, type FolderFile, type FuzzCase } from './fuzz-cases'
import { blockCount, versionOf } from '../../src/main/engine/blocks/block-plan'
import { BlockListJoin } from '../../src/main/engine/protocol/block-list-frames'

/** Longest any one expected reply may take (a folder server waits up to 3 s for an unannounced device's USER_ON). */
export const REPLY_DEADLINE_MS = Number(process.env.FUZZ_REPLY_DEADLINE_MS ?? 10_000)

export interface Target extends CaseContext {
  name: string
  port: number
  /** What the target's HELLO must say. */
  role: 'server' | 'client'
  heartbeatMs: number
  /** The device name the target's HELLO must carry. */
  helloName: string
  /**
   * The device of each lane (lane i uses devices[i mod length]): members of the registry (or
   * announced to the folder server) unless the target is an `outsider` one. Registry lanes need
   * a device each: a registration belongs to its device, and a LOG_ON takes over its own.
   */
  devices: TestIdentity[]
  /** Folder targets: content of a file outside the folder; it must never arrive. */
  marker?: Buffer
}

/**
 * Protocol 5's message types, written out here (not taken from the codec): a type byte outside
 * this table earns ERROR unknown-type. v3's IDENTIFY (0x20) and IDENTIFY_OK (0x21) are not in it;
 * 0x2f..0x32 are the block messages of version 5.
 */
const V5_TYPES: ReadonlySet<number> = new Set([
  0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
  0x2f, 0x30, 0x31, 0x32,
])

/** What a device that is no member may ever receive. */
const OUTSIDER_MAY_HEAR: ReadonlySet<Message['type']> = new Set(['ERROR', 'PONG', 'HELLO', 'JOIN_PENDING'])

/** A broken promise of the protocol: what was expected, what came. */
export class Violation extends Error {
  override name = 'Violation'
}

interface Lane {
  /** The device this lane's connections are. */
  device: TestIdentity
  peer: HostilePeer | null
  handshaken: boolean
  /** Registry: JOIN_OK came (a member's JOIN). */
  joined: boolean
  /** Registry: JOIN_PENDING came (a stranger held for the operator). */
  pending: boolean
  /** The registry entry this connection holds (`ip:port`), if any. */
  registered: string | null
  cursor: number
  pings: number
  pongs: number
  probes: number
  cases: number
}

interface Step {
  lane: Lane
  target: Target
  /** How cases ended, by kind (`ERROR bad-frame`, `refused`, `kept open`, …). */
  tally: Map<string, number>
  /** The case half-closed: the target may end the connection before every reply is out. */
  fin: boolean
}

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCodes).map(([name, code]) => [code, name]))

function show(m: Message | 'closed'): string {
  if (m === 'closed') return 'the connection closed'
  if (m.type === 'ERROR') return `ERROR ${m.code} ${ERROR_NAMES.get(m.code) ?? '?'} "${m.text}"`
  if ('path' in m) return `${m.type} ${JSON.stringify(m.path)}`
  if ('endpoint' in m) return `${m.type} ${endpointKey(m.endpoint)}`
  return m.type
}

/** The next reply that answers a request, in order (PONGs are counted aside, pushes of the registry skipped). */
async function next(step: Step, expecting: string): Promise<Message | 'closed'> {
  const { lane, target } = step
  const peer = lane.peer!
  const deadline = Date.now() + REPLY_DEADLINE_MS
  for (;;) {
    while (lane.cursor < peer.received.length) {
      const frame = peer.received[lane.cursor++]!
      if (frame.problem !== null || frame.message === null) {
        throw new Violation(`the target sent a frame its own decoder refuses (${frame.problem}): ${frame.body.subarray(0, 200).toString('hex')}`)
      }
      const m = frame.message
      if (m.type === 'PONG') {
        lane.pongs++
        continue
      }
      if (target.outsider && !OUTSIDER_MAY_HEAR.has(m.type)) throw new Violation(`a device that is no member was sent ${show(m)}`)
      // The registry tells every registered connection who comes and goes, whenever it happens.
      if (target.kind === 'registry' && lane.joined && (m.type === 'USER_ON' || m.type === 'USER_OFF')) continue
      return m
    }
    if (peer.closed) return 'closed'
    try {
      await peer.arrival(deadline)
    } catch {
      throw new Violation(`no reply within ${REPLY_DEADLINE_MS} ms while expecting ${expecting} (a hang)`)
    }
  }
}

/**
 * Takes the next reply and checks it. Returns null when the connection closed and the case had
 * half-closed (then the target may drop what it still owed).
 */
async function expectReply<T extends Message['type']>(step: Step, type: T, check: (m: MessageOf<T>) => string | null = () => null, what: string = type): Promise<MessageOf<T> | null> {
  const m = await next(step, what)
  if (m === 'closed') {
    if (step.fin) return null
    throw new Violation(`expected ${what}, but ${show(m)}`)
  }
  if (m.type !== type) throw new Violation(`expected ${what}, got ${show(m)}`)
  const problem = check(m as MessageOf<T>)
  if (problem) throw new Violation(`${what}: ${problem}`)
  return m as MessageOf<T>
}

/** The connection must end now: nothing but PONGs before the close. */
async function expectClose(step: Step, after: string): Promise<'closed'> {
  const m = await next(step, `the close after ${after}`)
  if (m !== 'closed') throw new Violation(`expected the connection to close after ${after}, got ${show(m)}`)
  step.lane.peer = null
  count(step, `closed after ${after.startsWith('ERROR') ? after : after.replace(/^the /, '')}`)
  return 'closed'
}

function count(step: Step, outcome: string): void {
  step.tally.set(outcome, (step.tally.get(outcome) ?? 0) + 1)
}

async function expectErrorThenClose(step: Step, code: ErrorCodeName, because: string): Promise<'closed'> {
  const m = await next(step, `ERROR ${code} (${because})`)
  if (m === 'closed') {
    if (step.fin) {
      step.lane.peer = null
      count(step, 'closed after the FIN')
      return 'closed'
    }
    throw new Violation(`expected ERROR ${ErrorCodes[code]} ${code} (${because}), but the connection closed without it`)
  }
  if (m.type !== 'ERROR' || m.code !== ErrorCodes[code]) throw new Violation(`expected ERROR ${ErrorCodes[code]} ${code} (${because}), got ${show(m)}`)
  return expectClose(step, `ERROR ${code}`)
}

function fileOf(target: Target, path: string): FolderFile | undefined {
  return target.files?.get(path)
}

/** A reply naming a path must name a shared file (FILE_NOT_FOUND aside: it echoes the question). */
function sharedPath(target: Target, path: string): string | null {
  return fileOf(target, path) ? null : `names ${JSON.stringify(path)}, which is not a file of the shared folder`
}

async function expectFileList(step: Step): Promise<'continue' | 'closed'> {
  const seen = new Map<string, number>()
  for (let last = false; !last; ) {
    const list = await expectReply(step, 'FILE_LIST')
    if (list === null) return 'closed'
    for (const entry of list.files) {
      const problem = sharedPath(step.target, entry.path)
      if (problem) throw new Violation(`FILE_LIST ${problem}`)
      const file = fileOf(step.target, entry.path)!
      if (!entry.version.equals(file.version) || entry.size !== file.content.length) throw new Violation(`FILE_LIST: ${entry.path} announced with the wrong version or size`)
      seen.set(entry.path, (seen.get(entry.path) ?? 0) + 1)
    }
    last = list.last
  }
  const want = [...step.target.files!.keys()].sort()
  const got = [...seen.keys()].sort()
  if (JSON.stringify(got) !== JSON.stringify(want) || [...seen.values()].some((n) => n !== 1)) {
    throw new Violation(`FILE_LIST named ${JSON.stringify([...seen])}, not each of ${JSON.stringify(want)} once`)
  }
  return 'continue'
}

async function expectFile(step: Step, request: MessageOf<'GET_FILE'>): Promise<'continue' | 'closed'> {
  const file = fileOf(step.target, request.path)
  if (!file) {
    const r = await expectReply(step, 'FILE_NOT_FOUND', (m) => (m.path === request.path ? null : `echoes ${JSON.stringify(m.path)}`), `FILE_NOT_FOUND ${JSON.stringify(request.path)}`)
    return r ? 'continue' : 'closed'
  }
  if (request.version?.equals(file.version)) {
    const r = await expectReply(step, 'FILE_UP_TO_DATE', (m) => (m.path === request.path ? null : `echoes ${JSON.stringify(m.path)}`))
    return r ? 'continue' : 'closed'
  }
  const size = await expectReply(
    step,
    'FILE_SIZE',
    (m) =>
      m.path !== file.path
        ? (sharedPath(step.target, m.path) ?? `names ${JSON.stringify(m.path)}, not ${file.path}`)
        : !m.version.equals(file.version) || m.size !== file.content.length
          ? 'wrong version or size'
          : null,
    `FILE_SIZE ${file.path}`,
  )
  if (size === null) return 'closed'
  const parts: Buffer[] = []
  let received = 0
  while (received < file.content.length) {
    const data = await expectReply(step, 'FILE_DATA', () => null, `FILE_DATA of ${file.path} (${received} of ${file.content.length} bytes in)`)
    if (data === null) return 'closed'
    parts.push(data.data)
    received += data.data.length
  }
  if (!Buffer.concat(parts).equals(file.content)) throw new Violation(`the bytes served for ${file.path} are not the file's`)
  return 'continue'
}

async function expectBlockList(step: Step, request: MessageOf<'GET_BLOCK_LIST'>): Promise<'continue' | 'closed'> {
  const file = fileOf(step.target, request.path)
  if (!file) {
    const r = await expectReply(step, 'FILE_NOT_FOUND', (m) => (m.path === request.path ? null : `echoes ${JSON.stringify(m.path)}`), `FILE_NOT_FOUND ${JSON.stringify(request.path)}`)
    return r ? 'continue' : 'closed'
  }
  const join = new BlockListJoin(file.path)
  for (let whole = false; !whole; ) {
    const frame = await expectReply(step, 'BLOCK_LIST', () => null, `BLOCK_LIST of ${file.path}`)
    if (frame === null) return 'closed'
    try {
      whole = join.add(frame)
    } catch (error) {
      throw new Violation(`BLOCK_LIST of ${file.path}: ${(error as Error).message}`)
    }
  }
  const want = versionOf(file.content)
  if (!join.list.version.equals(file.version) || join.list.hashes.some((h, i) => !h.equals(want.hashes[i]!))) throw new Violation(`the block list served for ${file.path} is not the file's`)
  return 'continue'
}

async function expectBlocks(step: Step, request: MessageOf<'GET_BLOCKS'>): Promise<'continue' | 'closed'> {
  const file = fileOf(step.target, request.path)
  const echo = (m: { path: string }) => (m.path === request.path ? null : `echoes ${JSON.stringify(m.path)}`)
  if (!file) return (await expectReply(step, 'FILE_NOT_FOUND', echo, `FILE_NOT_FOUND ${JSON.stringify(request.path)}`)) ? 'continue' : 'closed'
  const { blockSize } = versionOf(file.content)
  if (!request.version.equals(file.version) || request.first + request.count > blockCount(file.content.length, blockSize)) {
    return (await expectReply(step, 'FILE_ABORT', echo, `FILE_ABORT ${JSON.stringify(request.path)}`)) ? 'continue' : 'closed'
  }
  const head = await expectReply(step, 'BLOCKS', (m) => echo(m) ?? (m.first === request.first && m.count === request.count && m.version.equals(request.version) ? null : 'does not echo the run'))
  if (head === null) return 'closed'
  const from = request.first * blockSize
  const run = file.content.subarray(from, Math.min(file.content.length, (request.first + request.count) * blockSize))
  const parts: Buffer[] = []
  for (let received = 0; received < run.length; ) {
    const data = await expectReply(step, 'FILE_DATA', () => null, `FILE_DATA of blocks of ${file.path} (${received} of ${run.length} bytes in)`)
    if (data === null) return 'closed'
    parts.push(data.data)
    received += data.data.length
  }
  if (!Buffer.concat(parts).equals(run)) throw new Violation(`the blocks served for ${file.path} are not the file's`)
  return 'continue'
}

async function expectFiles(step: Step, request: MessageOf<'GET_FILES'>): Promise<'continue' | 'closed'> {
  const records: FileRecord[] = []
  for (let last = false; !last; ) {
    const frame = await expectReply(step, 'FILES')
    if (frame === null) return 'closed'
    records.push(...frame.records)
    last = frame.last
    if (records.length > request.files.length) throw new Violation(`FILES: ${records.length} records for ${request.files.length} files`)
  }
  if (records.length !== request.files.length) throw new Violation(`FILES: ${records.length} records for ${request.files.length} files`)
  request.files.forEach((want, i) => {
    const record = records[i]!
    const file = fileOf(step.target, want.path)
    const expected: FileRecord['status'] = !file ? 'not-found' : want.version?.equals(file.version) ? 'up-to-date' : file.content.length > BATCH_FILE_BYTES ? 'too-large' : 'content'
    if (record.status !== expected) throw new Violation(`FILES record ${i + 1} (${JSON.stringify(want.path)}): ${record.status}, expected ${expected}`)
    if (record.status === 'content' && (!record.data.equals(file!.content) || !record.version.equals(file!.version))) {
      throw new Violation(`FILES record ${i + 1} (${want.path}): not the file's bytes`)
    }
  })
  return 'continue'
}

function helloCheck(target: Target) {
  return (m: MessageOf<'HELLO'>): string | null =>
    m.version !== PROTOCOL_VERSION ? `version ${m.version}` : m.role !== target.role ? `role ${m.role}` : m.heartbeatMs !== target.heartbeatMs ? `heartbeat ${m.heartbeatMs}` : m.name !== target.helloName ? `name ${JSON.stringify(m.name)}` : null
}

/** What the target does with one whole frame body, in its current state; checks the replies. */
async function frameStep(step: Step, body: Buffer): Promise<'continue' | 'closed'> {
  const { lane, target } = step
  let m: Message
  try {
    m = decodeBody(body)
  } catch (error) {
    if (!(error instanceof ProtocolError)) {
      throw new Violation(`the codec threw ${(error as Error).name} (not a ProtocolError) on this body; a connection would rethrow it: ${(error as Error).message}`)
    }
    // The model's own table: a type byte protocol 5 does not define is unknown-type, nothing else.
    const known = body.length > 0 && V5_TYPES.has(body[0]!)
    if (body.length > 0 && !known && error.code !== 'unknown-type') throw new Violation(`type 0x${body[0]!.toString(16)} is no protocol 5 type, but the codec said ${error.code}`)
    if (known && error.code === 'unknown-type') throw new Violation(`type 0x${body[0]!.toString(16)} is a protocol 5 type, but the codec called it unknown`)
    return expectErrorThenClose(step, error.code, error.message)
  }
  if (!V5_TYPES.has(MessageType[m.type])) throw new Violation(`the codec decoded type 0x${body[0]!.toString(16)} (${m.type}), which protocol 5 does not define`)
  if (!lane.handshaken) {
    if (m.type !== 'HELLO') return expectErrorThenClose(step, 'unexpected-message', `${m.type} before HELLO`)
    // A folder server judges the device before its HELLO goes: one it was not told of is refused.
    if (target.kind === 'folder' && target.outsider) return expectErrorThenClose(step, 'not-a-member', 'HELLO from a device the server did not announce')
    const hello = await expectReply(step, 'HELLO', helloCheck(target))
    if (hello === null) return 'closed'
    lane.handshaken = true
    return 'continue'
  }
  if (m.type === 'HELLO') return expectErrorThenClose(step, 'unexpected-message', 'HELLO twice')
  if (m.type === 'PING') {
    lane.pings++
    return 'continue'
  }
  if (m.type === 'PONG') return 'continue'
  return target.kind === 'registry' ? registryStep(step, m) : folderStep(step, m)
}

async function registryStep(step: Step, m: Message): Promise<'continue' | 'closed'> {
  const { lane, target } = step
  if (!lane.joined) {
    // Before JOIN_OK a device may say JOIN once; anything else (ERROR included) is not-a-member.
    if (m.type === 'JOIN' && !lane.pending) {
      if (!target.outsider) {
        // A member is let in whatever token it brings.
        const ok = await expectReply(step, 'JOIN_OK', () => null, "JOIN_OK (the device is in the server's member store)")
        if (ok === null) return 'closed'
        lane.joined = true
        return 'continue'
      }
      if (m.token.length > 0) return expectErrorThenClose(step, 'invite-unknown', 'JOIN with a token the server never made')
      const held = await expectReply(step, 'JOIN_PENDING', () => null, 'JOIN_PENDING (a stranger is held for the operator)')
      if (held === null) return 'closed'
      lane.pending = true
      count(step, 'held for the operator (JOIN_PENDING)')
      return 'continue'
    }
    return expectErrorThenClose(step, 'not-a-member', `${m.type} from a device that has not joined${lane.pending ? ' (held for the operator)' : ''}`)
  }
  switch (m.type) {
    case 'ERROR':
      return 'continue' // logged, no answer, the connection stays
    case 'GET_CLIENTS': {
      const list = await expectReply(step, 'CLIENT_LIST', (l) =>
        l.clients.some((c) => c.id.equals(lane.device.id) || endpointKey(c.endpoint) === lane.registered) ? 'lists the asker itself' : null,
      )
      return list ? 'continue' : 'closed'
    }
    case 'LOG_ON': {
      const key = endpointKey(m.endpoint)
      const reply = await next(step, `the answer to LOG_ON ${key}`)
      if (reply === 'closed') {
        if (step.fin) return 'closed'
        throw new Violation(`LOG_ON ${key}: the connection closed`)
      }
      if (lane.registered) {
        if (reply.type === 'ERROR' && reply.code === ErrorCodes['already-logged-on']) return 'continue'
        throw new Violation(`LOG_ON ${key} on a connection registered as ${lane.registered}: expected ERROR already-logged-on, got ${show(reply)}`)
      }
      if (reply.type === 'LOG_ON_OK' && endpointKey(reply.endpoint) === key) {
        lane.registered = key
        return 'continue'
      }
      // Another device (another lane's) may hold that address: it is that device's.
      if (reply.type === 'ERROR' && reply.code === ErrorCodes.duplicate) return 'continue'
      throw new Violation(`LOG_ON ${key}: expected LOG_ON_OK or ERROR duplicate, got ${show(reply)}`)
    }
    case 'LOG_OFF': {
      const key = endpointKey(m.endpoint)
      if (lane.registered === key) {
        const ok = await expectReply(step, 'LOG_OFF_OK', (r) => (endpointKey(r.endpoint) === key ? null : `echoes ${endpointKey(r.endpoint)}`))
        if (ok === null) return 'closed'
        lane.registered = null
        return 'continue'
      }
      const no = await expectReply(step, 'ERROR_IP_PORT_NOT_FOUND_IN_LIST', (r) => (endpointKey(r.endpoint) === key ? null : `echoes ${endpointKey(r.endpoint)}`), `ERROR_IP_PORT_NOT_FOUND_IN_LIST ${key}`)
      return no ? 'continue' : 'closed'
    }
    default:
      // JOIN again, JOIN_OK, JOIN_PENDING, a folder request, a reply: nothing a server answers.
      return expectErrorThenClose(step, 'unexpected-message', `${m.type} sent to the server by a member`)
  }
}

async function folderStep(step: Step, m: Message): Promise<'continue' | 'closed'> {
  switch (m.type) {
    case 'GET_FILE_LIST':
      return expectFileList(step)
    case 'GET_FILE':
      return expectFile(step, m)
    case 'GET_FILES':
      return expectFiles(step, m)
    case 'GET_BLOCK_LIST':
      return expectBlockList(step, m)
    case 'GET_BLOCKS':
      return expectBlocks(step, m)
    case 'SUBSCRIBE': {
      const ack = await expectReply(step, 'INDEX_CHANGED', (c) => (c.changes.length ? `${c.changes.length} changes in the acknowledgement` : null), 'the empty INDEX_CHANGED')
      if (ack === null) return 'closed'
      const state = await expectReply(step, 'FOLDER_STATE', (s) => (s.present ? null : 'folder said gone'))
      return state ? 'continue' : 'closed'
    }
    default:
      return expectErrorThenClose(step, 'unexpected-message', `${m.type} is not a request`)
  }
}

/** Everything a case's frames earn, in order; then whatever ends the stream. */
async function judge(step: Step, c: FuzzCase): Promise<void> {
  const w = walk(c.bytes)
  for (const body of w.bodies) {
    if ((await frameStep(step, body)) === 'closed') return
  }
  if (w.tail.kind === 'zero') {
    await expectErrorThenClose(step, 'bad-frame', 'length prefix 0')
  } else if (w.tail.kind === 'too-large') {
    await expectErrorThenClose(step, 'frame-too-large', `length prefix ${w.tail.length}`)
  } else if (w.tail.kind === 'partial') {
    // Only with FIN: the target never sees that frame whole, then sees the end of the stream.
    await expectClose(step, 'the FIN inside a frame')
  } else if (c.fin) {
    await expectClose(step, 'the FIN')
  }
}

/** A request whose answer comes last, so every reply before it must have come: the lane is in step. */
async function probe(step: Step): Promise<void> {
  const { lane, target } = step
  const peer = lane.peer!
  lane.probes++
  let message: Message
  if (target.kind === 'registry') message = lane.joined ? { type: 'LOG_OFF', endpoint: { ip: '127.0.0.2', port: 1 + (lane.probes % 65535) } } : { type: 'PING' }
  else if (lane.handshaken) message = { type: 'GET_FILE', path: `probe-${lane.probes}.missing`, version: null }
  else message = { type: 'PING' }
  await peer.send(message)
  if ((await frameStep(step, encodeMessage(message).subarray(4))) === 'closed') throw new Violation('the connection closed on a probe')
  // Every PING sent so far is answered (PONGs may overtake queued replies, never go missing).
  try {
    await peer.until(() => {
      while (lane.cursor < peer.received.length && peer.received[lane.cursor]!.message?.type === 'PONG') {
        lane.cursor++
        lane.pongs++
      }
      return lane.pongs >= lane.pings || peer.closed
    }, REPLY_DEADLINE_MS, 'PONGs')
  } catch {
    throw new Violation(`${lane.pings} PINGs sent, ${lane.pongs} PONGs back within ${REPLY_DEADLINE_MS} ms`)
  }
  if (lane.pongs > lane.pings) throw new Violation(`${lane.pongs} PONGs for ${lane.pings} PINGs`)
}

/** Nothing may be waiting that no request asked for. */
function noStrays(step: Step): void {
  const { lane, target } = step
  const peer = lane.peer
  if (!peer) return
  while (lane.cursor < peer.received.length) {
    const frame = peer.received[lane.cursor++]!
    const m = frame.message
    if (m === null) throw new Violation(`the target sent a frame its own decoder refuses (${frame.problem})`)
    if (m.type === 'PONG') {
      lane.pongs++
      continue
    }
    if (target.outsider && !OUTSIDER_MAY_HEAR.has(m.type)) throw new Violation(`a device that is no member was sent ${show(m)}`)
    if (target.kind === 'registry' && lane.joined && (m.type === 'USER_ON' || m.type === 'USER_OFF')) continue
    throw new Violation(`a reply nobody asked for: ${show(m)}`)
  }
  if (lane.pongs > lane.pings) throw new Violation(`${lane.pongs} PONGs for ${lane.pings} PINGs`)
}

function freshLane(device: TestIdentity): Lane {
  return { device, peer: null, handshaken: false, joined: false, pending: false, registered: null, cursor: 0, pings: 0, pongs: 0, probes: 0, cases: 0 }
}

/** Brings the lane to where the case starts: a new connection when it is elsewhere (or has served long enough). */
async function ready(step: Step, c: FuzzCase): Promise<void> {
  const { lane, target } = step
  const registry = target.kind === 'registry'
  const furthest = registry ? lane.joined || lane.pending : lane.handshaken
  const fits =
    lane.peer !== null &&
    !lane.peer.closed &&
    lane.cases < 40 &&
    (c.start === 'ready' ? lane.handshaken && furthest : c.start === 'hello' ? registry && lane.handshaken && !furthest : false)
  if (fits) return
  lane.peer?.destroy()
  Object.assign(lane, freshLane(lane.device))
  lane.peer = await HostilePeer.connect(target.port, '127.0.0.1', { marker: target.marker, identity: lane.device })
  if (c.start === 'fresh') return
  const hello = fuzzHello()
  await lane.peer.send(hello)
  if ((await frameStep(step, encodeMessage(hello).subarray(4))) === 'closed') throw new Violation('a valid HELLO was refused')
  if (registry && c.start === 'ready') {
    // A member joins (JOIN_OK); a stranger is held (JOIN_PENDING).
    const join: Message = { type: 'JOIN', token: Buffer.alloc(0) }
    await lane.peer.send(join)
    if ((await frameStep(step, encodeMessage(join).subarray(4))) === 'closed') throw new Violation(`JOIN by ${target.outsider ? 'a stranger' : 'a member'} was refused`)
  }
}

async function send(peer: HostilePeer, c: FuzzCase): Promise<void> {
  let from = 0
  for (const at of [...c.splits, c.bytes.length]) {
    await peer.write(c.bytes.subarray(from, at))
    from = at
    if (at < c.bytes.length) await new Promise((r) => setImmediate(r))
  }
  if (c.fin) peer.end()
}

export interface RunOptions {
  seed: number
  cases: number
  /** Connections used side by side; case i runs on lane i mod lanes. */
  lanes: number
  /** Stop starting cases after this long (ms). */
  budgetMs: number
  /** Only this case index (FUZZ_ONLY=target:index). */
  only?: number
  /** Called before each case: throws to stop the run (a crashed process, an unhandled rejection). */
  checkAlive?: () => void
}

export interface RunResult {
  ran: number
  ms: number
  markerSeen: number
  /** How the cases ended: `closed after ERROR bad-frame` 120, `answered, kept open` 90, … */
  outcomes: Record<string, number>
}

/** One line for a log: how many cases, how long, how they ended. */
export function summary(name: string, seed: number, r: RunResult): string {
  const outcomes = Object.entries(r.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')
  return `${name}: ${r.ran} cases in ${r.ms} ms (FUZZ_SEED=${seed}): ${outcomes}`
}

/** Runs the cases against a target; throws the first violation, with everything needed to replay it. */
export async function fuzzTarget(target: Target, options: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const deadline = started + options.budgetMs
  let ran = 0
  let markerSeen = 0
  let failure: Error | null = null
  const indices = options.only !== undefined ? [options.only] : Array.from({ length: options.cases }, (_, i) => i)
  const lanes = Array.from({ length: Math.max(1, options.lanes) }, (_, i) => freshLane(target.devices[i % target.devices.length]!))
  const tally = new Map<string, number>()

  const runLane = async (laneIndex: number): Promise<void> => {
    const lane = lanes[laneIndex]!
    for (let k = laneIndex; k < indices.length && failure === null && Date.now() < deadline; k += lanes.length) {
      const c = makeCase(options.seed, target.name, indices[k]!, target)
      const step: Step = { lane, target, fin: false, tally: new Map() }
      try {
        options.checkAlive?.()
        noStrays(step)
        await ready(step, c)
        step.fin = c.fin
        lane.cases++
        const peer = lane.peer!
        await send(peer, c)
        await judge(step, c)
        if (lane.peer && !c.fin) await probe(step)
        markerSeen += peer.markerSeen
        peer.markerSeen = 0
        if (markerSeen > 0) throw new Violation('bytes of the file outside the shared folder arrived')
        if (c.fin) {
          lane.peer?.destroy()
          lane.peer = null
        }
        if (step.tally.size === 0) count(step, 'answered, connection kept')
        for (const [k, n] of step.tally) tally.set(k, (tally.get(k) ?? 0) + n)
        ran++
      } catch (error) {
        lane.peer?.destroy()
        lane.peer = null
        if (failure === null) {
          let why = error instanceof Violation ? error.message : `the fuzzer itself failed: ${(error as Error).stack ?? String(error)}`
          // A process that died (or an unhandled rejection) explains whatever the case saw; its
          // exit is reported a moment after its sockets close.
          await new Promise((r) => setTimeout(r, 500))
          try {
            options.checkAlive?.()
          } catch (dead) {
            why += `\n  and then: ${(dead as Error).message}`
          }
          failure = new Error(
            `fuzz case failed: reproduce with FUZZ_SEED=${options.seed} (FUZZ_ONLY=${target.name}:${c.index} replays this case alone)\n` +
              `  target: ${target.name}, case ${c.index} (lane ${laneIndex}, case ${lane.cases} on its connection), starting ${c.start}\n` +
              `  what: ${c.what}\n` +
              `  bytes: ${describeBytes(c)}\n` +
              `  failure: ${why}`,
          )
        }
      }
    }
    lane.peer?.destroy()
  }
  await Promise.all(lanes.map((_, i) => runLane(i)))
  if (failure) throw failure
  return { ran, ms: Date.now() - started, markerSeen, outcomes: Object.fromEntries(tally) }
}

/** Parses FUZZ_ONLY=target:index for `target`. */
export function onlyCase(target: string): number | undefined {
  const only = process.env.FUZZ_ONLY
  if (!only) return undefined
  const [name, index] = only.split(':')
  return name === target && index !== undefined ? Number(index) : -1
}
