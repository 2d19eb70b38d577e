// The server's ERROR codes after which a client stops asking to join or register (docs/PROTOCOL.md,
// the JOIN table): only the operator (accepting it again) or a new invite can change the answer.
export const FINAL_REFUSALS: ReadonlySet<string> = new Set(['removed', 'refused', 'invite-used', 'invite-expired', 'invite-unknown'])
