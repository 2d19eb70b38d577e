// The version `--version` prints: package.json's, read where the command runs from (source or
// bundle), so it can never disagree with what npm installed.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { projectRoot } from '../main/app/headless/renderer-build'

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown }
  return typeof manifest.version === 'string' ? manifest.version : 'unknown'
}
