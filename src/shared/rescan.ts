// How often a client looks at its whole shared folder and every mirror again (see the engine's
// DEFAULT_RESCAN_EVERY_MS for why): the CLI's --rescan and the app's setting share these bounds.
export const DEFAULT_RESCAN_SECONDS = 600
export const MAX_RESCAN_SECONDS = 86400
