// The engine's status as the window sees it: what the supervisor is doing and why.
import { z } from 'zod'
import { endpointText } from './parts'

export const engineStateSchema = z.enum(['unconfigured', 'starting', 'running', 'failed', 'stopped'])
export type EngineState = z.infer<typeof engineStateSchema>

export const engineStatusSchema = z.object({
  state: engineStateSchema,
  role: z.enum(['server', 'client']),
  /** Why it is not running, in words for the user; null when all is well. */
  message: z.string().nullable(),
  /** Where the engine listens, once it does. */
  listening: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  /** Client: the `ip:port` the server registered it as. */
  self: endpointText.nullable(),
  /** Client: the server it talks to, as `host:port`. */
  server: endpointText.nullable(),
  /** Client: whether it is registered with the server right now. */
  connected: z.boolean(),
  /**
   * Client: the server turned this device away (removed, refused, an invite it will not take): it
   * asks no more until Try again, after the operator accepts it again, or a new invite.
   */
  turnedAway: z.boolean().optional(),
  /** This machine's non-loopback addresses: what other machines should enter. */
  addresses: z.array(z.string()),
})
export type EngineStatus = z.infer<typeof engineStatusSchema>
