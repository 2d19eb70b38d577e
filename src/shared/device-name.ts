// A device's name, as people see it beside its ID: what the Settings field accepts, and how a host
// name becomes the default one. Names travel to other machines' terminals, so no control characters.

export const MAX_DEVICE_NAME_LENGTH = 64

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Why a name cannot be used, or null; judged on the trimmed text. */
export function deviceNameProblem(name: string): string | null {
  const trimmed = name.trim()
  if (!trimmed) return 'Give this device a name, e.g. the name of the machine.'
  if (trimmed.length > MAX_DEVICE_NAME_LENGTH) return `The device name is longer than ${MAX_DEVICE_NAME_LENGTH} characters.`
  if (CONTROL.test(trimmed)) return 'The device name cannot hold control characters (tabs, line breaks).'
  return null
}

/** The default name from the machine's host name: cleaned and cut to fit, never empty. */
export function deviceNameFromHost(hostName: string): string {
  const cleaned = hostName.replace(new RegExp(CONTROL.source, 'g'), ' ').trim()
  let name = ''
  for (const char of cleaned) {
    // Counted in UTF-16 units, as the length check is, never splitting a character.
    if (name.length + char.length > MAX_DEVICE_NAME_LENGTH) break
    name += char
  }
  return name.trim() || 'dropbox-sync'
}
