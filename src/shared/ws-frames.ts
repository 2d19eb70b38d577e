// The frames the headless app's WebSocket carries: the bridge contract's requests, replies and
// event batches, wrapped with an id so replies find their request. JSON text, one frame a message.
import { z } from 'zod'

/** Largest frame either side accepts; a settings save is a few hundred bytes. */
export const MAX_WS_FRAME_BYTES = 1024 * 1024

export const wsRequestSchema = z
  .object({ kind: z.literal('request'), id: z.number().int().nonnegative(), channel: z.string().max(100), payload: z.unknown().optional() })
  .strict()
export type WsRequest = z.infer<typeof wsRequestSchema>

export const bridgeErrorCodeSchema = z.enum(['unknown-channel', 'invalid-payload', 'failed', 'bad-frame'])
export type BridgeErrorCode = z.infer<typeof bridgeErrorCodeSchema>

export const wsReplySchema = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('reply'), id: z.number().int(), ok: z.literal(true), reply: z.unknown() }),
  z.object({
    kind: z.literal('reply'),
    id: z.number().int().nullable(),
    ok: z.literal(false),
    error: z.object({ code: bridgeErrorCodeSchema, message: z.string() }),
  }),
])
export type WsReply = z.infer<typeof wsReplySchema>

export const wsEventsSchema = z.object({ kind: z.literal('events'), events: z.array(z.unknown()) })

export const wsServerFrameSchema = z.union([wsReplySchema, wsEventsSchema])
export type WsServerFrame = z.infer<typeof wsServerFrameSchema>

/** Path of the socket on the headless app's HTTP server. */
export const WS_PATH = '/bridge'
