// The decoded form of every message in docs/PROTOCOL.md.
import type { Endpoint } from '../../../shared/endpoint'
import type { LeaveReason } from '../../../shared/events'

export type PeerRole = 'server' | 'client'

export interface HelloMessage {
  type: 'HELLO'
  version: number
  role: PeerRole
  /** 16 random bytes naming the process, so the server can tell a reconnect from an impostor. */
  nodeId: Buffer
  /** How often (ms) the speaker wants to hear from the other side; 0 = no wish. */
  heartbeatMs: number
  /** Reserved for authentication; empty in version 1. */
  auth: Buffer
}

export interface ErrorMessage {
  type: 'ERROR'
  code: number
  text: string
}

export type Message =
  | HelloMessage
  | ErrorMessage
  | { type: 'PING' }
  | { type: 'PONG' }
  | { type: 'LOG_ON'; endpoint: Endpoint }
  | { type: 'LOG_ON_OK'; endpoint: Endpoint }
  | { type: 'LOG_OFF'; endpoint: Endpoint }
  | { type: 'LOG_OFF_OK'; endpoint: Endpoint }
  | { type: 'GET_CLIENTS' }
  | { type: 'CLIENT_LIST'; clients: Endpoint[] }
  | { type: 'USER_ON'; endpoint: Endpoint }
  | { type: 'USER_OFF'; endpoint: Endpoint; reason: LeaveReason }
  | { type: 'ERROR_IP_PORT_NOT_FOUND_IN_LIST'; endpoint: Endpoint }

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>
