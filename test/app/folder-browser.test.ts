// folder:list through the real bridge (an AppCore's handle, payloads checked against the contract)
// on real folders: directories only, names sorted with hidden ones last, a way up, clear refusals,
// and a folder the user cannot read is listed as such and never entered.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import { AppCore } from '../../src/main/app/app-core'
import { BridgeError } from '../../src/main/app/bridge'
import { openSettingsStore } from '../../src/main/app/settings-store'
import { REQUEST } from '../../src/shared/channels'
import { contract, type FolderListing } from '../../src/shared/contract'
import { WORKER_SCRIPT } from '../helpers/app-core'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(removeTempDirs)

function coreWithHome(home: string): AppCore {
  return new AppCore({ store: openSettingsStore(tempDir('browse-config-')), home, engine: { host: '127.0.0.1', workerScript: WORKER_SCRIPT } })
}

async function list(core: AppCore, folder: string | null): Promise<FolderListing> {
  return contract[REQUEST.listFolders].reply.parse(await core.handle(REQUEST.listFolders, { path: folder }))
}

/** A home folder with sub-folders, hidden ones, files and a link to a folder. */
function makeHome(): string {
  const home = tempDir('browse-home-')
  for (const name of ['Zeta', 'alpha', 'Beta', 'photos 2', 'photos 10', '.config', '.cache']) mkdirSync(path.join(home, name))
  mkdirSync(path.join(home, 'alpha', 'inner'))
  writeFileSync(path.join(home, 'notes.txt'), 'a file, not a folder\n')
  symlinkSync(path.join(home, 'alpha'), path.join(home, 'link-to-alpha'))
  return home
}

describe('the folder browser (folder:list)', () => {
  it('starts at the home folder: sub-folders only, sorted by name with hidden ones last, and the way up', async () => {
    const home = makeHome()
    const core = coreWithHome(home)
    const listing = await list(core, null)
    if (!listing.ok) throw new Error(listing.message)
    expect(listing.path).toBe(home)
    expect(listing.home).toBe(home)
    expect(listing.parent).toBe(path.dirname(home))
    expect(listing.folders.map((f) => f.name)).toEqual(['alpha', 'Beta', 'photos 2', 'photos 10', 'Zeta', '.cache', '.config'])
    expect(listing.folders.find((f) => f.name === '.cache')).toEqual({ name: '.cache', path: path.join(home, '.cache'), hidden: true, readable: true })

    const inner = await list(core, path.join(home, 'alpha'))
    expect(inner).toMatchObject({ ok: true, path: path.join(home, 'alpha'), parent: home, folders: [{ name: 'inner', readable: true }] })
    // Up to the root, where there is no further up.
    expect(await list(core, '/')).toMatchObject({ ok: true, path: '/', parent: null })
  })

  it('refuses a relative path, a file and a missing folder with a clear message; the payload must be a path or null', async () => {
    const home = makeHome()
    const core = coreWithHome(home)
    expect(await list(core, 'alpha')).toEqual({ ok: false, path: 'alpha', home, message: `Cannot list "alpha": give a full path, e.g. ${home}.` })
    expect(await list(core, path.join(home, 'notes.txt'))).toMatchObject({ ok: false, message: `Cannot list ${path.join(home, 'notes.txt')}: it is not a folder.` })
    expect(await list(core, path.join(home, 'gone'))).toMatchObject({ ok: false, message: `Cannot list ${path.join(home, 'gone')}: it does not exist.` })
    await expect(core.handle(REQUEST.listFolders, { path: 42 })).rejects.toBeInstanceOf(BridgeError)
    await expect(core.handle(REQUEST.listFolders, {})).rejects.toThrow(/folder:list/)
  })

  it('marks a folder the user cannot read, and refuses to list it (say so)', async () => {
    const home = makeHome()
    const locked = path.join(home, 'locked')
    mkdirSync(path.join(locked, 'secret'), { recursive: true })
    chmodSync(locked, 0o000)
    try {
      // root reads everything: then the listing is taken as an ordinary user (nobody), in a process of its own.
      const [top, inside] = process.getuid?.() === 0 ? await listAsNobody(home, [home, locked]) : [await list(coreWithHome(home), home), await list(coreWithHome(home), locked)]
      if (!top?.ok) throw new Error(JSON.stringify(top))
      expect(top.folders.find((f) => f.name === 'locked')).toMatchObject({ readable: false })
      expect(top.folders.find((f) => f.name === 'alpha')).toMatchObject({ readable: true })
      expect(inside).toMatchObject({ ok: false, message: expect.stringContaining(`Cannot list ${locked}: permission denied`) })
    } finally {
      chmodSync(locked, 0o755)
    }
  })
})

/** Runs the same listFolders as the user nobody: bundled by esbuild, run by node with that uid. */
async function listAsNobody(home: string, folders: string[]): Promise<FolderListing[]> {
  const dir = tempDir('browse-bundle-')
  const script = path.join(dir, 'list.mjs')
  await build({
    stdin: {
      contents: `import { listFolders } from ${JSON.stringify(fileURLToPath(new URL('../../src/main/app/folder-browser.ts', import.meta.url)))}
const [home, ...folders] = JSON.parse(process.argv[2])
const out = []
for (const folder of folders) out.push(await listFolders(folder, home))
process.stdout.write(JSON.stringify(out))`,
      resolveDir: dir,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'silent',
  })
  // nobody must reach the home folder (temp folders are 0700) and the script.
  chmodSync(home, 0o755)
  chmodSync(dir, 0o755)
  const run = spawnSync(process.execPath, [script, JSON.stringify([home, ...folders])], { uid: 65534, gid: 65534, encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`listing as nobody failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as FolderListing[]
}
