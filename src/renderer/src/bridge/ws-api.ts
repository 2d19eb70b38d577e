// window.api over the headless app's WebSocket: the same operations and events as the desktop's
// IPC bridge, so the window does not know which one it has. Requests carry an id; replies and
// event batches arrive as JSON frames (src/shared/ws-frames.ts).
import type { Api } from '../../../preload/api'
import { REQUEST, type RequestChannel } from '../../../shared/channels'
import type { AppEvent } from '../../../shared/contract'
import { WS_PATH, wsServerFrameSchema, type WsRequest } from '../../../shared/ws-frames'

/** The part of the WebSocket interface used here: the browser's, or the `ws` package's in Node tests. */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(): void
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}
export type SocketFactory = (url: string) => SocketLike

const OPEN = 1

/** ws://HOST/bridge for the page at `pageUrl`, with its token when the URL has one. */
export function bridgeUrl(pageUrl: string): string {
  const page = new URL(pageUrl)
  const url = new URL(WS_PATH, page)
  url.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:'
  const token = page.searchParams.get('token')
  url.search = token ? `?token=${encodeURIComponent(token)}` : ''
  return url.toString()
}

export class BridgeRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'BridgeRequestError'
  }
}

/** The browser's WebSocket, reached without DOM typings so this module also compiles for Node tests. */
const browserSocket: SocketFactory = (url) => new (globalThis as unknown as { WebSocket: new (url: string) => SocketLike }).WebSocket(url)

export function createWebSocketApi(url: string, open: SocketFactory = browserSocket): Api & { close(): void } {
  const socket = open(url)
  let nextId = 1
  let closed = false
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  const waiting: string[] = []
  const eventListeners = new Set<(batch: AppEvent[]) => void>()
  const disconnectListeners = new Set<() => void>()

  socket.addEventListener('open', () => {
    for (const frame of waiting.splice(0)) socket.send(frame)
  })
  socket.addEventListener('message', ({ data }) => {
    let frame
    try {
      frame = wsServerFrameSchema.parse(JSON.parse(String(data)))
    } catch {
      return
    }
    if (frame.kind === 'events') {
      for (const listener of [...eventListeners]) listener(frame.events as AppEvent[])
      return
    }
    const request = frame.id === null ? undefined : pending.get(frame.id)
    if (!request || frame.id === null) return
    pending.delete(frame.id)
    if (frame.ok) request.resolve(frame.reply)
    else request.reject(new BridgeRequestError(frame.error.code, frame.error.message))
  })
  const lost = (): void => {
    if (closed) return
    closed = true
    for (const request of pending.values()) request.reject(new BridgeRequestError('disconnected', 'dropbox-sync stopped answering'))
    pending.clear()
    for (const listener of [...disconnectListeners]) listener()
  }
  socket.addEventListener('close', lost)
  socket.addEventListener('error', lost)

  function request<T>(channel: RequestChannel, payload?: unknown): Promise<T> {
    if (closed) return Promise.reject(new BridgeRequestError('disconnected', 'dropbox-sync stopped answering'))
    const id = nextId++
    const frame: WsRequest = { kind: 'request', id, channel, ...(payload === undefined ? {} : { payload }) }
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      const text = JSON.stringify(frame)
      if (socket.readyState === OPEN) socket.send(text)
      else waiting.push(text)
    })
  }

  return {
    getSettings: () => request(REQUEST.getSettings),
    saveSettings: (settings) => request(REQUEST.saveSettings, settings),
    chooseFolder: async (field) => (await request<{ path: string | null }>(REQUEST.chooseFolder, { field })).path,
    listFolders: (path) => request(REQUEST.listFolders, { path }),
    getSnapshot: () => request(REQUEST.getSnapshot),
    restartEngine: () => request(REQUEST.restartEngine),
    getDevice: () => request(REQUEST.getDevice),
    decodeInvite: (text) => request(REQUEST.decodeInvite, { text }),
    listMembers: () => request(REQUEST.listMembers),
    createInvite: () => request(REQUEST.createInvite),
    acceptMember: (id) => request(REQUEST.acceptMember, { id }),
    refuseMember: (id) => request(REQUEST.refuseMember, { id }),
    removeMember: (id) => request(REQUEST.removeMember, { id }),
    getIgnorePatterns: () => request(REQUEST.getIgnorePatterns),
    saveIgnorePatterns: (text) => request(REQUEST.saveIgnorePatterns, { text }),
    listHistoryMirrors: () => request(REQUEST.listHistoryMirrors),
    listHistory: (query) => request(REQUEST.listHistory, query),
    restoreHistory: (folder, id, to) => request(REQUEST.restoreHistory, { folder, id, to }),
    chooseRestoreFolder: async () => (await request<{ path: string | null }>(REQUEST.chooseRestoreFolder)).path,
    control: (payload) => request(REQUEST.control, payload),
    openFolder: (peer) => request(REQUEST.openFolder, { peer }),
    listToCome: (peer) => request(REQUEST.listToCome, { peer }),
    onEvents: (listener) => {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    onDisconnect: (listener) => {
      disconnectListeners.add(listener)
      return () => disconnectListeners.delete(listener)
    },
    close: () => socket.close(),
  }
}
