// Written from docs/PROTOCOL.md (protocol 5) alone: §6 registry messages, §6.1 JOIN, §10, §11.
import { EventEmitter } from 'node:events'
import { ROLE_SERVER, dial, readError, type Link } from './link'
import type { Identity, Invite } from './identity'
import { Reader, T, TYPE_NAMES, blob, endpoint, endpointText, frame, type Endpoint, type Frame } from './wire'

export interface Member {
  endpoint: Endpoint
  id: Buffer
  name: string
}

const USER_OFF_REASONS = ['log-off', 'connection-lost', 'timeout', 'removed'] as const
export type UserOffReason = (typeof USER_OFF_REASONS)[number]

function readEntry(r: Reader): Member {
  const e = r.endpoint()
  const id = r.bytes(32, 'device id')
  const name = r.str('name')
  if (name.length === 0 || Buffer.byteLength(name) > 64) throw new Error(`bad-frame: ${r.what}: a device name has 1 to 64 bytes`)
  return { endpoint: e, id, name }
}

/**
 * The spec peer's link to the registry server: HELLO, JOIN, LOG_ON, GET_CLIENTS, then it keeps
 * the list of announced devices from CLIENT_LIST / USER_ON / USER_OFF.
 * Events: 'user-on' (Member), 'user-off' (Member & {reason}), 'unexpected' (string).
 */
export class RegistryLink extends EventEmitter {
  /** Announced online, by device ID in hex: who may read our folder and whose folders we may read (§12.1). */
  readonly online = new Map<string, Member>()
  registeredAt: Endpoint | null = null
  private replies: Array<(f: Frame) => void> = []

  private constructor(readonly link: Link) {
    super()
  }

  /** §11 steps 2–3: TLS pinned to the invite's server ID, HELLO (server must say role 1), JOIN with the token. */
  static async join(me: Identity, name: string, invite: Invite): Promise<RegistryLink> {
    const address = invite.addresses[0]!
    const host = 'ip' in address ? address.ip : address.host
    const { link } = await dial(me, host, address.port, invite.serverId, name, ROLE_SERVER)
    await link.send(frame(T.JOIN, blob(invite.token)))
    const answer = await link.next()
    if (!answer) throw new Error('refused: the server closed before JOIN_OK')
    if (answer.type === T.ERROR) {
      const e = readError(answer.payload)
      throw new Error(`JOIN refused: ERROR ${e.code} ${e.text}`)
    }
    if (answer.type !== T.JOIN_OK) throw new Error(`JOIN answered with ${TYPE_NAMES.get(answer.type)}`)
    const registry = new RegistryLink(link)
    void registry.pump()
    return registry
  }

  private async pump(): Promise<void> {
    for (;;) {
      const f = await this.link.next(0)
      if (!f) return
      try {
        this.handle(f)
      } catch (error) {
        this.emit('unexpected', `registry: ${(error as Error).message}`)
      }
    }
  }

  private handle(f: Frame): void {
    if (f.type === T.USER_ON) {
      const r = new Reader(f.payload, 'USER_ON')
      const m = readEntry(r)
      r.end()
      this.online.set(m.id.toString('hex'), m)
      this.emit('user-on', m)
      return
    }
    if (f.type === T.USER_OFF) {
      const r = new Reader(f.payload, 'USER_OFF')
      const e = r.endpoint()
      const id = r.bytes(32, 'device id')
      const code = r.u8('reason')
      r.end()
      const reason = USER_OFF_REASONS[code]
      if (!reason) throw new Error(`bad-frame: USER_OFF: unknown reason ${code}`)
      const known = this.online.get(id.toString('hex'))
      this.online.delete(id.toString('hex'))
      this.emit('user-off', { endpoint: e, id, name: known?.name ?? '', reason })
      return
    }
    if (f.type === T.ERROR) {
      const e = readError(f.payload)
      this.emit('unexpected', `registry: ERROR ${e.code} ${e.text}`)
    }
    const waiter = this.replies.shift()
    if (waiter) waiter(f)
    else this.emit('unexpected', `registry: ${TYPE_NAMES.get(f.type)} with no request pending`)
  }

  private reply(): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('registry: no reply within 30 s')), 30_000)
      this.replies.push((f) => {
        clearTimeout(timer)
        resolve(f)
      })
    })
  }

  /** One request as raw bytes; its reply (USER_ON / USER_OFF are routed apart, §7). */
  async ask(bytes: Buffer): Promise<Frame> {
    const answer = this.reply()
    await this.link.send(bytes)
    return answer
  }

  /** §11 step 4: LOG_ON and GET_CLIENTS back to back; LOG_ON_OK, then CLIENT_LIST. */
  async logOn(at: Endpoint): Promise<Member[]> {
    const logOnOk = this.reply()
    const list = this.reply()
    await this.link.send(Buffer.concat([frame(T.LOG_ON, endpoint(at)), frame(T.GET_CLIENTS)]))
    const ok = await logOnOk
    if (ok.type !== T.LOG_ON_OK) throw new Error(`LOG_ON answered with ${TYPE_NAMES.get(ok.type)}${ok.type === T.ERROR ? `: ${readError(ok.payload).text}` : ''}`)
    const okReader = new Reader(ok.payload, 'LOG_ON_OK')
    this.registeredAt = okReader.endpoint()
    okReader.end()
    const cl = await list
    if (cl.type !== T.CLIENT_LIST) throw new Error(`GET_CLIENTS answered with ${TYPE_NAMES.get(cl.type)}`)
    const r = new Reader(cl.payload, 'CLIENT_LIST')
    const count = r.u32('count')
    if (count * 42 > cl.payload.length) throw new Error(`bad-frame: CLIENT_LIST: ${count} entries cannot fit`)
    const members: Member[] = []
    for (let i = 0; i < count; i++) members.push(readEntry(r))
    r.end()
    for (const m of members) this.online.set(m.id.toString('hex'), m)
    return members
  }

  /** §6 LOG_OFF with the registered endpoint; answered LOG_OFF_OK (or ERROR_IP_PORT_NOT_FOUND_IN_LIST). */
  async logOff(): Promise<void> {
    if (!this.registeredAt) throw new Error('not registered')
    const answer = this.reply()
    await this.link.send(frame(T.LOG_OFF, endpoint(this.registeredAt)))
    const f = await answer
    if (f.type !== T.LOG_OFF_OK) throw new Error(`LOG_OFF of ${endpointText(this.registeredAt)} answered with ${TYPE_NAMES.get(f.type)}`)
    this.registeredAt = null
    this.link.close()
  }

  /** Resolves with the first announced device that satisfies `test` (already online, or a later USER_ON). */
  waitForMember(test: (m: Member) => boolean, deadlineMs = 30_000): Promise<Member> {
    for (const m of this.online.values()) if (test(m)) return Promise.resolve(m)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('user-on', on)
        reject(new Error(`no such USER_ON within ${deadlineMs} ms`))
      }, deadlineMs)
      const on = (m: Member): void => {
        if (!test(m)) return
        clearTimeout(timer)
        this.off('user-on', on)
        resolve(m)
      }
      this.on('user-on', on)
    })
  }
}
