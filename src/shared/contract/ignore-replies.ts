// The shared folder's ignore patterns (.syncignore at its root) as the window reads and saves them.
import { z } from 'zod'

export const ignorePatternsSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The file's full path. */
    file: z.string(),
    /** Its text; null when there is none (the built-in patterns alone apply). */
    text: z.string().nullable(),
    /** Why the file there is not used (a link, not UTF-8, too large); the engine keeps the rules it had. */
    problem: z.string().nullable(),
    /** The built-in patterns, applied before the file's lines: a `!pattern` line overrides one. */
    defaults: z.array(z.string()),
  }),
  /** No shared folder to read (a server, a client not set up, the folder gone), in words for the user. */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type IgnorePatterns = z.infer<typeof ignorePatternsSchema>

export const ignoreSaveReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), patterns: ignorePatternsSchema }),
  /** Not written: why, in one message (unusable lines, too large, no folder, the disk). */
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type IgnoreSaveReply = z.infer<typeof ignoreSaveReplySchema>
