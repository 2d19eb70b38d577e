// Reads until `into` is full or the file ends: one read may return less than asked.
import type { FileHandle } from 'node:fs/promises'

/** Fills `into` from `position` on; returns how many bytes it got (fewer only at the file's end). */
export async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let done = 0
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done)
    if (bytesRead === 0) break
    done += bytesRead
  }
  return done
}
