// `--mirror DIR` or `-d DIR` (the shared folder, whose mirrors are beside it): which client's
// mirror folder `history` is about.
import type { Command } from 'commander'
import { statSync } from 'node:fs'
import path from 'node:path'
import { defaultMirrorDir } from '../main/engine/client/client-node'
import { folderPath } from './options'

export interface MirrorFolderOptions {
  mirror?: string
  dir?: string
}

export function withMirrorFolder(command: Command): Command {
  return command
    .option('--mirror <dir>', "the client's mirror folder (as given to its --mirror)", folderPath)
    .option('-d, --dir <dir>', 'the folder the client shares: its mirrors are beside it (DIR-mirrors) unless --mirror says otherwise', folderPath)
}

/** The mirror folder named, or a usage error (one line, exit 2): a mistyped folder is said, not read as an empty history. */
export function mirrorFolder(opts: MirrorFolderOptions): string {
  if (!opts.mirror && !opts.dir) usage("name the client with --mirror <dir> (its mirror folder) or -d <dir> (the folder it shares)")
  const mirror = opts.mirror ? path.resolve(opts.mirror) : defaultMirrorDir(opts.dir!)
  if (!statSync(mirror, { throwIfNoEntry: false })?.isDirectory()) {
    usage(`no mirror folder at ${mirror}${opts.mirror ? '' : ` (the mirrors of ${path.resolve(opts.dir!)} are beside it unless its client was given --mirror: name that folder with --mirror)`}`)
  }
  return mirror
}

export function usage(message: string): never {
  process.stderr.write(`error: ${message}\n`)
  process.exit(2)
}

/** A failure that is not a usage error: one line, exit 1. */
export function fail(message: string): never {
  process.stderr.write(`dropbox-sync: ${message}\n`)
  process.exit(1)
}
