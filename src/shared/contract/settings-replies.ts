// The settings as the window reads and saves them, and the folder browser that picks their folders.
import { z } from 'zod'
import { settingsSchema } from '../settings'

const fieldErrorsSchema = z.partialRecord(settingsSchema.keyof(), z.string())

export const settingsStateSchema = z.object({
  settings: settingsSchema,
  /** Problems with the saved settings as they stand (e.g. the folder is gone), by field. */
  errors: fieldErrorsSchema,
  /** A native folder picker exists (desktop) or not (browser: type the path or browse the engine's folders). */
  canChooseFolder: z.boolean(),
  /** Main shows desktop notifications itself (Electron); otherwise the page does, with the browser's. */
  nativeNotifications: z.boolean(),
  /** Where the settings live on disk. */
  file: z.string(),
  /** Set when the settings file could not be read and was set aside. */
  notice: z.string().nullable(),
})
export type SettingsState = z.infer<typeof settingsStateSchema>

export const saveReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), state: settingsStateSchema }),
  z.object({ ok: z.literal(false), errors: fieldErrorsSchema }),
])
export type SaveReply = z.infer<typeof saveReplySchema>

export const folderFieldSchema = z.enum(['folder', 'mirrorFolder'])

/** One sub-folder as the folder browser shows it; `readable: false` is shown but not entered. */
export const folderEntrySchema = z.object({ name: z.string(), path: z.string(), hidden: z.boolean(), readable: z.boolean() })
export type FolderEntry = z.infer<typeof folderEntrySchema>

/** The sub-folders of one folder on the machine running the engine, or why it cannot be listed. */
export const folderListingSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    path: z.string(),
    /** The folder above, or null at the root. */
    parent: z.string().nullable(),
    home: z.string(),
    /** Names sorted, hidden ones (a leading dot) last. */
    folders: z.array(folderEntrySchema),
  }),
  z.object({ ok: z.literal(false), path: z.string(), home: z.string(), message: z.string() }),
])
export type FolderListing = z.infer<typeof folderListingSchema>
