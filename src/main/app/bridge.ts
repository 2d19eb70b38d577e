// The bridge's front door, the same for Electron IPC and the headless WebSocket: a request names a
// channel of the contract; its payload is checked against that channel's schema before any handler
// sees it. Anything else is refused with a BridgeError naming what was wrong.
import { z } from 'zod'
import { isRequestChannel, type RequestChannel } from '../../shared/channels'
import { contract, type ReplyOf, type RequestOf } from '../../shared/contract'
import type { BridgeErrorCode } from '../../shared/ws-frames'

export class BridgeError extends Error {
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'BridgeError'
  }
}

export type BridgeHandlers = { [C in RequestChannel]: (request: RequestOf<C>) => Promise<ReplyOf<C>> }

export type BridgeDispatch = (channel: unknown, payload: unknown) => Promise<unknown>

export function createBridge(handlers: BridgeHandlers): BridgeDispatch {
  return async (channel, payload) => {
    if (!isRequestChannel(channel)) throw new BridgeError('unknown-channel', `there is no channel ${JSON.stringify(channel)}`)
    const parsed = contract[channel].request.safeParse(payload)
    if (!parsed.success) throw new BridgeError('invalid-payload', `${channel}: ${z.prettifyError(parsed.error)}`)
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>
    try {
      return await handler(parsed.data)
    } catch (error) {
      if (error instanceof BridgeError) throw error
      throw new BridgeError('failed', `${channel}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
