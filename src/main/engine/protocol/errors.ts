// Every protocol failure is one ProtocolError with a stable code; the code travels in ERROR
// frames as a number and in engine events as its name.

export const ErrorCodes = {
  'bad-frame': 1,
  'frame-too-large': 2,
  'unknown-type': 3,
  'version-mismatch': 4,
  'hello-timeout': 5,
  'bad-address': 6,
  duplicate: 7,
  'unexpected-message': 8,
  'slow-consumer': 9,
  'heartbeat-timeout': 10,
  'shutting-down': 11,
  'already-logged-on': 12,
  internal: 13,
  'bad-path': 14,
  'not-identified': 15,
  'too-many-connections': 16,
  'not-a-member': 17,
  'invite-used': 18,
  'invite-expired': 19,
  'invite-unknown': 20,
  refused: 21,
  removed: 22,
} as const

export type ErrorCodeName = keyof typeof ErrorCodes

const namesByNumber = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCodes).map(([name, code]) => [code, name as ErrorCodeName]),
)

/** The name of a numeric code; codes from a newer peer are reported as `error-<n>`. */
export function errorCodeName(code: number): string {
  return namesByNumber.get(code) ?? `error-${code}`
}

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCodeName,
    message: string,
  ) {
    super(message)
    this.name = 'ProtocolError'
  }
}
