// The headless app's token, kept in the config folder so a bookmarked address works after a
// restart; `--new-token` makes a new one (the old stops working). Owner-only (0600) and written
// atomically: a torn or world-readable token file would be a door left open.
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../../engine/folder/atomic-write'

export const UI_TOKEN_FILE = 'ui-token'
/** 24 random bytes as base64url: what UiServer makes, and all a token file may hold. */
const TOKEN = /^[A-Za-z0-9_-]{32}$/

export function newUiToken(): string {
  return randomBytes(24).toString('base64url')
}

/** The saved token, or a new one saved in its place (when asked, or when none or a damaged one is there). */
export async function loadUiToken(configDir: string, rotate = false): Promise<string> {
  const file = path.join(configDir, UI_TOKEN_FILE)
  if (!rotate) {
    const saved = await readFile(file, 'utf8').catch(() => '')
    if (TOKEN.test(saved.trim())) {
      // A copy restored from a backup may have lost its mode: the token is a password.
      if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
      return saved.trim()
    }
  }
  const token = newUiToken()
  await mkdir(configDir, { recursive: true, mode: 0o700 })
  await writeFileAtomic(file, `${token}\n`, 0o600)
  return token
}
