// SHA-256 of a file's content, streamed: never a whole file in memory.
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'

const READ_BYTES = 1024 * 1024

export async function hashFile(file: string): Promise<{ version: Buffer; size: number }> {
  const handle = await open(file, 'r')
  try {
    const hash = createHash('sha256')
    const buffer = Buffer.allocUnsafe(READ_BYTES)
    let size = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      size += bytesRead
    }
    return { version: hash.digest(), size }
  } finally {
    await handle.close()
  }
}

