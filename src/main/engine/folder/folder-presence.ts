// Whether the shared folder is there, as an explicit state. `gone`: moved away, deleted, a disk
// unmounted, or an empty stranger in its place; its last index stands, nothing is deleted at the
// peers, and it is looked for once a second. `returning`: a folder that can stand for it was
// found and is being indexed afresh; peers are not told it is missing meanwhile. The index says
// each change to its listeners ('missing', 'restored'), and the folder server to peers (FOLDER_STATE).

export type Presence = 'present' | 'gone' | 'returning'

/**
 * `lost`: the folder is not there (or a look for it found nothing yet, or its return failed);
 * `seen`: a folder that can stand for it is there; `returned`: it is indexed and watched again.
 */
export type PresenceStep = 'lost' | 'seen' | 'returned'

const NEXT: Record<Presence, Partial<Record<PresenceStep, Presence>>> = {
  present: { lost: 'gone' },
  gone: { lost: 'gone', seen: 'returning' },
  returning: { lost: 'gone', returned: 'present' },
}

/** The state after `step`, or null where the step cannot happen (a bug in the caller). */
export function nextPresence(now: Presence, step: PresenceStep): Presence | null {
  return NEXT[now][step] ?? null
}

/** Files cannot be read, nor deletions trusted, only while it is gone. */
export function isMissing(presence: Presence): boolean {
  return presence === 'gone'
}
