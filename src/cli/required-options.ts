// Required options, checked all at once: commander stops at the first one missing, so a user
// with three missing would learn them one run at a time.
import { type Command, Option } from 'commander'

const required = new WeakMap<Option, (command: Command) => boolean>()

/**
 * An option the command cannot run without (commander is not told: the hook below checks),
 * unless `optionalWhen` says the command has it from elsewhere (a client's saved membership).
 */
export function requiredOption(flags: string, description: string, optionalWhen: (command: Command) => boolean = () => false): Option {
  const option = new Option(flags, description)
  required.set(option, optionalWhen)
  return option
}

function quoted(flags: string[]): string {
  const names = flags.map((flag) => `'${flag}'`)
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

/** Fails the command, in one line naming every missing required option, before its action runs. */
export function checkRequiredOptions(command: Command): void {
  const missing = command.options.filter((option) => {
    const optionalWhen = required.get(option)
    return optionalWhen !== undefined && command.getOptionValue(option.attributeName()) === undefined && !optionalWhen(command)
  })
  if (missing.length === 0) return
  const what = missing.length === 1 ? 'option' : 'options'
  command.error(`error: required ${what} ${quoted(missing.map((option) => option.flags))} not specified`, {
    exitCode: 2,
    code: 'commander.missingMandatoryOptionValue',
  })
}
