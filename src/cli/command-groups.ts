// `members` and `history` each take a command before their options. Given none, commander would
// print the whole help, or refuse the first option as unknown (it is the command's, not the group's).

/** Each group, and the commands it takes, as the error names them. */
const GROUPS: Readonly<Record<string, string>> = {
  members: 'list, accept ID, refuse ID or remove ID',
  history: 'list or restore PATH',
}

const HELP_OR_VERSION = new Set(['-h', '--help', '-V', '--version'])

/** The one-line error for a group given no command first, or null (`argv` as typed, after the program's name). */
export function missingGroupCommand(argv: readonly string[]): string | null {
  const group = argv[0]
  if (group === undefined || !Object.hasOwn(GROUPS, group)) return null
  const next = argv[1]
  if (next !== undefined && (!next.startsWith('-') || HELP_OR_VERSION.has(next))) return null
  return `${group} needs a command: ${GROUPS[group]} (its options come after it: dropbox-sync ${group} list …)`
}
