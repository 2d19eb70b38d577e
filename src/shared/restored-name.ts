// The name a restored copy takes beside a file of the same name, shared by the engine (which picks
// it) and the History screen (which shows what it will look like). Pure: no path module here, so
// that it runs in the window too.

/** YYYY-MM-DD in local time. */
export function localDate(at: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`
}

/** The extension of a file name, as path.extname has it: none for a leading dot alone. */
function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot)
}

/**
 * `report (restored 2026-12-06).txt`, then `report (restored 2026-12-06 2).txt`. A leading dot is
 * not an extension.
 */
export function restoredName(name: string, date: string, attempt: number): string {
  const ext = extensionOf(name)
  const stem = name.slice(0, name.length - ext.length)
  const suffix = attempt <= 1 ? `restored ${date}` : `restored ${date} ${attempt}`
  return `${stem} (${suffix})${ext}`
}
