// How long a client's mirror history keeps what peers delete or overwrite: the CLI's --keep-days
// and the app's Keep history share these bounds (0 keeps nothing).
export const DEFAULT_KEEP_DAYS = 30
export const MAX_KEEP_DAYS = 3650
