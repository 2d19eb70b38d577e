// The app's settings: one schema for the form (renderer), the bridge (main) and the store.
// Every message names what is wrong in words a user can act on; the form shows it next to the field.
import { z } from 'zod'
import { deviceNameProblem } from './device-name'
import { HOST_WITH_PORT } from './endpoint'
import { isLimitRate, LIMIT_RATE_RULE } from './limit-rate'
import { listenAddressProblem } from './listen-address'
import type { Role } from './events'
import { DEFAULT_RESCAN_SECONDS, MAX_RESCAN_SECONDS } from './rescan'
import { DEFAULT_KEEP_DAYS, MAX_KEEP_DAYS } from './keep-days'

/** Bumped with a migration in the settings store whenever the stored shape changes. */
export const SETTINGS_VERSION = '1.0.0'

export const MAX_WORKERS = 256
export const MAX_BUFFER_SLOTS = 65536

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a whole number from ${min} to ${max}.` })
    .int({ error: `${what} must be a whole number from ${min} to ${max}.` })
    .min(min, { error: `${what} must be a whole number from ${min} to ${max}.` })
    .max(max, { error: `${what} must be a whole number from ${min} to ${max}.` })

const KEEP_DAYS_MESSAGE = `Keep history must be a whole number of days from 0 (keep nothing) to ${MAX_KEEP_DAYS}.`
const keepDays = z
  .number({ error: KEEP_DAYS_MESSAGE })
  .int({ error: KEEP_DAYS_MESSAGE })
  .min(0, { error: KEEP_DAYS_MESSAGE })
  .max(MAX_KEEP_DAYS, { error: KEEP_DAYS_MESSAGE })

const text = (what: string, max = 4096) =>
  z.string({ error: `${what} must be text.` }).max(max, { error: `${what} is longer than ${max} characters.` })

export const settingsSchema = z
  .object({
    role: z.enum(['server', 'client'], { error: 'Choose Server or Client.' }),
    /** Server: where the registry listens. Client: where it serves its folder. 0 picks a free one. */
    port: wholeNumber('The port', 0, 65535),
    /** The address of this machine to listen on; empty: every interface, IPv6 and IPv4. */
    listenAddress: text('The listen address', 64).superRefine((value, ctx) => {
      const problem = listenAddressProblem(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    }),
    serverAddress: text('The server address', 253),
    serverPort: wholeNumber('The server port', 1, 65535),
    folder: text('The folder'),
    mirrorFolder: text('The mirror folder'),
    workers: wholeNumber('Workers', 1, MAX_WORKERS),
    bufferSlots: wholeNumber('Buffer slots', 1, MAX_BUFFER_SLOTS),
    /** Seconds between looks at the whole folder and every mirror, for changes no watch reports. */
    rescanSeconds: wholeNumber('The rescan interval', 1, MAX_RESCAN_SECONDS),
    /** Days the mirror history keeps what peers delete or overwrite; 0 keeps nothing. */
    keepDays,
    /** KiB/s the client may send, and on its own receive, over all peers; 0: no limit. */
    limitRateKiB: z.number({ error: `The bandwidth limit ${LIMIT_RATE_RULE}.` }).refine(isLimitRate, { error: `The bandwidth limit ${LIMIT_RATE_RULE}.` }),
    /** How this device is shown to the others; the settings store's default is the host name. */
    name: text('The device name').superRefine((value, ctx) => {
      const problem = deviceNameProblem(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    }),
    /** Client: an invite (`dbs1-…`) to join the server with; main decodes it, the engine uses it. */
    invite: text('The invite'),
    /** Desktop notifications for what needs the user: a peer's mass delete held, lasting write failures, the folder gone. */
    notify: z.boolean({ error: 'Notify me is on or off.' }),
  })
  .strict()

export type Settings = z.infer<typeof settingsSchema>
export type SettingsField = keyof Settings
export type FieldErrors = Partial<Record<SettingsField, string>>

export const SETTINGS_FIELDS = Object.keys(settingsSchema.shape) as SettingsField[]

/** The fields each role uses; the others are kept but disabled in the form. */
export const FIELDS_FOR_ROLE: Record<Role, readonly SettingsField[]> = {
  server: ['role', 'name', 'port', 'listenAddress', 'notify'],
  client: ['role', 'name', 'port', 'listenAddress', 'serverAddress', 'serverPort', 'folder', 'mirrorFolder', 'workers', 'bufferSlots', 'rescanSeconds', 'keepDays', 'limitRateKiB', 'invite', 'notify'],
}

export const DEFAULT_SETTINGS: Settings = {
  role: 'client',
  port: 0,
  listenAddress: '',
  serverAddress: '',
  serverPort: 4000,
  folder: '',
  mirrorFolder: '',
  workers: 4,
  bufferSlots: 64,
  rescanSeconds: DEFAULT_RESCAN_SECONDS,
  keepDays: DEFAULT_KEEP_DAYS,
  limitRateKiB: 0,
  // What a machine without a host name is called; the settings store puts the host name here.
  name: 'dropbox-sync',
  invite: '',
  notify: false,
}

export type SettingsCheck = { ok: true; settings: Settings } | { ok: false; errors: FieldErrors }

/**
 * Judges a candidate without I/O: types and ranges of every field, then what the chosen role
 * needs. (Whether folders exist is the main process's to check.)
 */
export function checkSettings(candidate: unknown): SettingsCheck {
  const unused = unusedBrokenFields(candidate)
  // A field the chosen role does not use (disabled in the form) cannot block a save: a broken
  // value there is put back to its default instead.
  if (unused.length) candidate = { ...(candidate as object), ...Object.fromEntries(unused.map((f) => [f, DEFAULT_SETTINGS[f]])) }
  const parsed = settingsSchema.safeParse(candidate)
  const errors: FieldErrors = {}
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0]
      if (typeof field === 'string' && field in DEFAULT_SETTINGS && !errors[field as SettingsField]) {
        errors[field as SettingsField] = issue.message
      } else if (issue.code === 'unrecognized_keys') {
        errors.role ??= `Unknown settings: ${issue.keys.join(', ')}.`
      }
    }
  }
  // What the role needs is judged even when another field is broken: every message at once.
  const raw = (typeof candidate === 'object' && candidate !== null ? candidate : {}) as Partial<Record<SettingsField, unknown>>
  if (raw.role === 'client') Object.assign(errors, clientProblems(raw), errors)
  if (!parsed.success || Object.keys(errors).length) return { ok: false, errors }
  const data = parsed.data
  // Chat programs wrap a pasted invite: its white space is never part of it.
  return {
    ok: true,
    settings: { ...data, serverAddress: data.serverAddress.trim(), listenAddress: data.listenAddress.trim(), name: data.name.trim(), invite: data.invite.replace(/\s+/g, '') },
  }
}

/** Fields with a value the schema refuses that the candidate's role (when valid) does not use. */
function unusedBrokenFields(candidate: unknown): SettingsField[] {
  if (typeof candidate !== 'object' || candidate === null) return []
  const raw = candidate as Partial<Record<SettingsField, unknown>>
  const role = raw.role === 'server' || raw.role === 'client' ? raw.role : null
  if (!role) return []
  return SETTINGS_FIELDS.filter(
    (field) => !FIELDS_FOR_ROLE[role].includes(field) && field in raw && !settingsSchema.shape[field].safeParse(raw[field]).success,
  )
}

function clientProblems(raw: Partial<Record<SettingsField, unknown>>): FieldErrors {
  const errors: FieldErrors = {}
  const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '')
  const address = text(raw.serverAddress)
  const folder = text(raw.folder)
  const mirror = text(raw.mirrorFolder)
  // An invite holds the server's addresses: the field is needed only without one.
  if (!address) {
    if (!text(raw.invite)) errors.serverAddress = "Enter the server's IP address or host name, or paste an invite under Join with invite (it holds it)."
  } else if (/[\s/]/.test(address)) errors.serverAddress = 'An address has no spaces or slashes, e.g. 192.168.1.20.'
  else if (HOST_WITH_PORT.test(address)) errors.serverAddress = 'Give only the address here, and the port under Server port.'
  if (!folder) errors.folder = 'Choose the folder to share.'
  else if (!isAbsolutePath(folder)) errors.folder = 'Give the full path of the folder, e.g. /home/you/Shared.'
  // A blank mirror folder means the engine's default: FOLDER-mirrors beside the shared folder.
  if (mirror && !isAbsolutePath(mirror)) errors.mirrorFolder = 'Give the full path of the mirror folder, or leave it empty.'
  else if (mirror && folder && overlaps(folder, mirror)) {
    // A mirror inside the shared folder would be served back out: mirrors are never re-served.
    errors.mirrorFolder = 'The mirror folder must be outside the shared folder (and not contain it).'
  }
  return errors
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}

function normalized(p: string): string {
  return p.trim().replace(/\\/g, '/').replace(/\/+$/, '')
}

/** True when one folder is the other or lies inside it. */
export function overlaps(a: string, b: string): boolean {
  const x = normalized(a)
  const y = normalized(b)
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`)
}

/** The form edits numbers as text; this turns a draft into the candidate `checkSettings` judges. */
export type SettingsDraft = { [K in SettingsField]: Settings[K] extends number ? string : Settings[K] }

export function draftOf(settings: Settings): SettingsDraft {
  return {
    ...settings,
    port: String(settings.port),
    serverPort: String(settings.serverPort),
    workers: String(settings.workers),
    bufferSlots: String(settings.bufferSlots),
    rescanSeconds: String(settings.rescanSeconds),
    keepDays: String(settings.keepDays),
    limitRateKiB: String(settings.limitRateKiB),
  }
}

/** Text that is not a plain whole number becomes -1, which every numeric field refuses with its message. */
function toNumber(value: string): number {
  return /^\s*\d+\s*$/.test(value) ? Number(value) : -1
}

export function candidateOf(draft: SettingsDraft): Settings {
  return {
    ...draft,
    port: toNumber(draft.port),
    serverPort: toNumber(draft.serverPort),
    workers: toNumber(draft.workers),
    bufferSlots: toNumber(draft.bufferSlots),
    rescanSeconds: toNumber(draft.rescanSeconds),
    keepDays: toNumber(draft.keepDays),
    limitRateKiB: toNumber(draft.limitRateKiB),
  }
}
