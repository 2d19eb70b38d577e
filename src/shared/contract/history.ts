// Mirror history: what peers deleted or overwrote, kept beside the mirrors, listed and restored.
import { z } from 'zod'
import { count } from './parts'

/** A peer's mirror folder as the mirror root names it (`NAME-SHORTID`): one name, never a path. */
const mirrorNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !/[/\\\0]/.test(name) && name !== '.' && name !== '..', 'expected the name of a mirror folder, not a path')
/** A kept version's id, as the history index names its file. */
const historyIdSchema = z.string().regex(/^[\w.-]{1,100}$/, 'expected the id of a kept version')

export const historyMirrorSchema = z.object({
  folder: z.string(),
  /** The peer's address as its newest kept version names it; null when nothing is kept. */
  peer: z.string().nullable(),
  versions: count,
  bytes: count,
  /** When the newest kept version left the mirror (ms); null when nothing is kept. */
  newest: z.number().nullable(),
  /** Whose mirror it is, as the mirror root's record (devices.json) names the device; null when none is on record (e.g. an `IP_PORT` folder). */
  device: z.object({ id: z.string(), name: z.string() }).nullable(),
})
export type HistoryMirror = z.infer<typeof historyMirrorSchema>

export const historyMirrorsSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    mirrorRoot: z.string(),
    /** The saved Keep history (days); 0: nothing is kept from now on. */
    keepDays: count,
    mirrors: z.array(historyMirrorSchema),
  }),
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type HistoryMirrors = z.infer<typeof historyMirrorsSchema>

export const historyEntryViewSchema = z.object({
  id: z.string(),
  path: z.string(),
  peer: z.string(),
  /** When it left the mirror (ms since the epoch). */
  at: z.number(),
  size: count,
  reason: z.enum(['deleted', 'overwritten']),
})
export type HistoryEntryView = z.infer<typeof historyEntryViewSchema>

export const historyPageSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    folder: z.string(),
    /** Newest first. */
    entries: z.array(historyEntryViewSchema),
    /** How many versions match the filter in all. */
    total: count,
    /** More, older ones follow: ask again with `before` set to the last entry. */
    more: z.boolean(),
  }),
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type HistoryPage = z.infer<typeof historyPageSchema>

/** The most versions one page carries. */
export const MAX_HISTORY_PAGE = 500

export const historyListRequestSchema = z
  .object({
    folder: mirrorNameSchema,
    /** Only paths containing this text, any case; empty: all. */
    filter: z.string().max(1000),
    /** The last entry of the page before; null: from the newest. */
    before: z.object({ at: z.number(), id: historyIdSchema }).strict().nullable(),
    limit: z.number().int().min(1).max(MAX_HISTORY_PAGE),
  })
  .strict()
export type HistoryListRequest = z.infer<typeof historyListRequestSchema>

/** Restores a kept version into the folder `to`. */
export const historyRestoreRequestSchema = z.object({ folder: mirrorNameSchema, id: historyIdSchema, to: z.string().min(1).max(4096) }).strict()

export const historyRestoreReplySchema = z.discriminatedUnion('ok', [
  /** Where the file now is; `renamed` when a file of its name was there, so it took a free name. */
  z.object({ ok: z.literal(true), path: z.string(), renamed: z.boolean() }),
  z.object({ ok: z.literal(false), message: z.string() }),
])
export type HistoryRestoreReply = z.infer<typeof historyRestoreReplySchema>
