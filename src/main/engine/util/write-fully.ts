// Writes all of a run of pieces at an offset: one write may take less than it was given, and
// the next goes on from where it stopped.
import type { FileHandle } from 'node:fs/promises'

/** Writes `pieces` at `offset` in one call; a short write goes on from where it stopped. */
export async function writeAt(handle: FileHandle, pieces: Uint8Array[], offset: number): Promise<void> {
  const length = pieces.reduce((n, piece) => n + piece.length, 0)
  let done = 0
  while (done < length) done += (await handle.writev(unwritten(pieces, done), offset + done)).bytesWritten
}

/** What is left of `pieces` after their first `done` bytes. */
export function unwritten(pieces: Uint8Array[], done: number): Uint8Array[] {
  if (done === 0) return pieces
  const rest: Uint8Array[] = []
  for (const piece of pieces) {
    if (done >= piece.length) done -= piece.length
    else {
      rest.push(done ? piece.subarray(done) : piece)
      done = 0
    }
  }
  return rest
}
