// The layer check itself: it passes on this tree and fails, naming the line, on each kind of violation.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { removeTempDirs, tempDir } from './helpers/temp'

const script = fileURLToPath(new URL('../scripts/check-layers.mjs', import.meta.url))
const projectRoot = fileURLToPath(new URL('..', import.meta.url))

function runCheck(root: string) {
  return spawnSync(process.execPath, [script, root], { encoding: 'utf8' })
}

function tree(files: Record<string, string>): string {
  const root = tempDir('layers-')
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, 'src', name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
  return root
}

afterEach(removeTempDirs)

describe('layer check', () => {
  it('passes on the project itself', () => {
    const result = runCheck(projectRoot)
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('passes on imports that point the right way', () => {
    const root = tree({
      'shared/a.ts': "import { z } from 'zod'\nexport const a = z.string()\n",
      'main/engine/e.ts': "import { a } from '../../shared/a'\nimport { readFile } from 'node:fs'\n",
      'main/index.ts': "import { app } from 'electron'\nimport '../main/engine/e'\n",
      'renderer/src/x.ts': "import type { Api } from '../../preload/api'\nimport { ref } from 'vue'\n",
      'main/app/core.ts': "import { a } from '../../shared/a'\nimport '../engine/e'\nimport { createServer } from 'node:http'\n",
      'main/window.ts': "import './app/core'\n",
      'cli/app.ts': "import '../main/app/core'\n",
    })
    expect(runCheck(root).status).toBe(0)
  })

  it.each([
    ['main/engine/bad.ts', "import { app } from 'electron'\n", 'engine must not import electron'],
    ['main/engine/bad.ts', "import x from '../index'\n", 'engine must not import main'],
    ['shared/bad.ts', "import { readFileSync } from 'node:fs'\n", 'shared must not use Node\'s "node:fs"'],
    ['shared/bad.ts', "export * from '../main/engine/x'\n", 'shared must not import engine'],
    ['cli/bad.ts', "const e = require('electron')\n", 'cli must not import electron'],
    ['renderer/src/bad.ts', "import { net } from 'node:net'\n", 'renderer must not use Node'],
    ['renderer/src/bad.ts', "import { api } from '../../preload/index'\n", 'renderer must not import preload'],
    ['renderer/src/bad.vue', "<script setup>\nimport { x } from '../../main/engine/x'\n</script>\n", 'renderer must not import engine'],
    ['preload/bad.ts', "const m = await import('../main/index')\n", 'preload must not import main'],
    ['main/app/bad.ts', "import { ipcMain } from 'electron'\n", 'app must not import electron'],
    ['main/app/bad.ts', "import { x } from '../index'\n", 'app must not import main'],
    ['main/app/bad.ts', "import { x } from '../../cli/options'\n", 'app must not import cli'],
    ['main/engine/bad.ts', "import { x } from '../app/core'\n", 'engine must not import app'],
    ['renderer/src/bad.ts', "import { x } from '../../main/app/core'\n", 'renderer must not import app'],
  ])('%s: %s is refused', (file, text, message) => {
    const result = runCheck(tree({ [file]: text }))
    expect(result.status).toBe(1)
    expect(result.stderr).toContain(`src/${file}:`)
    expect(result.stderr).toContain(message)
  })
})
