// Engine messages start in lower case (they follow a code in a log or an `error:` on the
// terminal); windows and forms show them as sentences of their own.

export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
