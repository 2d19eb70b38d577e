// The bridge contract: every channel with the schema of its request, its reply, and the events
// pushed to the window. Main validates every request against it before acting; both transports
// (Electron IPC and the headless WebSocket) carry exactly these payloads.
// The schemas live by area in contract/; the app imports them all from here.
import { z } from 'zod'
import { EVENTS_CHANNEL, REQUEST, type RequestChannel } from './channels'
import { MAX_IGNORE_EDIT_BYTES } from './ignore-patterns'
import { controlReplySchema, controlRequestSchema, openFolderReplySchema } from './contract/control'
import { engineStatusSchema } from './contract/engine-status'
import { eventBatchSchema } from './contract/events'
import { historyListRequestSchema, historyMirrorsSchema, historyPageSchema, historyRestoreReplySchema, historyRestoreRequestSchema } from './contract/history'
import { ignorePatternsSchema, ignoreSaveReplySchema } from './contract/ignore-replies'
import { createdInviteSchema, decodedInviteSchema, deviceInfoSchema } from './contract/invites'
import { deviceHexSchema, memberActionReplySchema, membersStateSchema } from './contract/members'
import { endpointText, peerText } from './contract/parts'
import { folderFieldSchema, folderListingSchema, saveReplySchema, settingsStateSchema } from './contract/settings-replies'
import { snapshotSchema } from './contract/snapshot'
import { toComeReplySchema } from './contract/to-come'

export * from './contract/control'
export * from './contract/engine-status'
export * from './contract/events'
export * from './contract/history'
export * from './contract/ignore-replies'
export * from './contract/invites'
export * from './contract/members'
export * from './contract/settings-replies'
export * from './contract/snapshot'
export * from './contract/to-come'

const memberRequest = z.object({ id: deviceHexSchema }).strict()

export const contract = {
  [REQUEST.getSettings]: { request: z.undefined(), reply: settingsStateSchema },
  // The shape must be exact; values are judged field by field and refused with messages.
  [REQUEST.saveSettings]: {
    request: z
      .object({
        role: z.string(),
        port: z.number(),
        listenAddress: z.string(),
        serverAddress: z.string(),
        serverPort: z.number(),
        folder: z.string(),
        mirrorFolder: z.string(),
        workers: z.number(),
        bufferSlots: z.number(),
        rescanSeconds: z.number(),
        keepDays: z.number(),
        limitRateKiB: z.number(),
        name: z.string(),
        invite: z.string(),
        notify: z.boolean(),
      })
      .strict(),
    reply: saveReplySchema,
  },
  [REQUEST.chooseFolder]: {
    request: z.object({ field: folderFieldSchema }).strict(),
    reply: z.object({ path: z.string().nullable() }),
  },
  // null: the home folder of the user running the engine.
  [REQUEST.listFolders]: { request: z.object({ path: z.string().max(4096).nullable() }).strict(), reply: folderListingSchema },
  [REQUEST.getSnapshot]: { request: z.undefined(), reply: snapshotSchema },
  [REQUEST.restartEngine]: { request: z.undefined(), reply: engineStatusSchema },
  [REQUEST.getDevice]: { request: z.undefined(), reply: deviceInfoSchema },
  // Invites are a few hundred characters; a chat program's wrapping adds a little.
  [REQUEST.decodeInvite]: { request: z.object({ text: z.string().max(8192) }).strict(), reply: decodedInviteSchema },
  [REQUEST.listMembers]: { request: z.undefined(), reply: membersStateSchema },
  [REQUEST.createInvite]: { request: z.undefined(), reply: createdInviteSchema },
  [REQUEST.acceptMember]: { request: memberRequest, reply: memberActionReplySchema },
  [REQUEST.refuseMember]: { request: memberRequest, reply: memberActionReplySchema },
  [REQUEST.removeMember]: { request: memberRequest, reply: memberActionReplySchema },
  [REQUEST.getIgnorePatterns]: { request: z.undefined(), reply: ignorePatternsSchema },
  // Bounded by characters here (never fewer bytes than characters); main judges the bytes and lines.
  [REQUEST.saveIgnorePatterns]: {
    request: z.object({ text: z.string().max(MAX_IGNORE_EDIT_BYTES, `the patterns are larger than ${MAX_IGNORE_EDIT_BYTES / 1024} KiB`) }).strict(),
    reply: ignoreSaveReplySchema,
  },
  [REQUEST.listHistoryMirrors]: { request: z.undefined(), reply: historyMirrorsSchema },
  [REQUEST.listHistory]: { request: historyListRequestSchema, reply: historyPageSchema },
  [REQUEST.restoreHistory]: { request: historyRestoreRequestSchema, reply: historyRestoreReplySchema },
  // The native folder picker, for the folder a version is restored into; null when cancelled or where there is none.
  [REQUEST.chooseRestoreFolder]: { request: z.undefined(), reply: z.object({ path: z.string().nullable() }) },
  [REQUEST.control]: { request: controlRequestSchema, reply: controlReplySchema },
  // null: the shared folder; otherwise the mirror of the peer named.
  [REQUEST.openFolder]: { request: z.object({ peer: peerText.nullable() }).strict(), reply: openFolderReplySchema },

  [REQUEST.listToCome]: { request: z.object({ peer: endpointText }).strict(), reply: toComeReplySchema },
} as const satisfies Record<RequestChannel, { request: z.ZodType; reply: z.ZodType }>

export type RequestOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['request']>
export type ReplyOf<C extends RequestChannel> = z.infer<(typeof contract)[C]['reply']>

export const events = { [EVENTS_CHANNEL]: eventBatchSchema } as const
