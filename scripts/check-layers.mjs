#!/usr/bin/env node
// Keeps the layers of docs/ARCHITECTURE.md pointing one way:
//   shared -> main/engine -> main/app (Electron-free app logic) -> main (Electron glue) -> preload
//   -> renderer, and cli beside main.
// Reads every import in src/ and fails, naming file, line and rule, on any that crosses a line.
// usage: node scripts/check-layers.mjs [ROOT]   (ROOT defaults to the project folder)
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(process.argv[2] ?? path.dirname(path.dirname(fileURLToPath(import.meta.url))))
const src = path.join(root, 'src')
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

/** The layer a file in src/ belongs to. */
function layerOf(file) {
  const rel = path.relative(src, file).split(path.sep)
  if (rel[0] === 'main' && rel[1] === 'engine') return 'engine'
  if (rel[0] === 'main' && rel[1] === 'app') return 'app'
  return rel[0]
}

/** Which layers each layer may import, and whether it may use Node built-ins, electron, other packages. */
const RULES = {
  shared: { layers: ['shared'], node: false, electron: false, packages: ['zod'] },
  engine: { layers: ['shared', 'engine'], node: true, electron: false, packages: '*' },
  app: { layers: ['shared', 'engine', 'app'], node: true, electron: false, packages: '*' },
  cli: { layers: ['shared', 'engine', 'app', 'cli'], node: true, electron: false, packages: '*' },
  main: { layers: ['shared', 'engine', 'app', 'main'], node: true, electron: true, packages: '*' },
  preload: { layers: ['shared', 'preload'], node: false, electron: true, packages: [] },
  renderer: { layers: ['shared', 'renderer', 'preload-types'], node: false, electron: false, packages: '*' },
}

const IMPORT = /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*\(?\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) yield* walk(full)
    else if (/\.(ts|mts|cts|js|mjs|cjs|vue)$/.test(name)) yield full
  }
}

function check(file) {
  const layer = layerOf(file)
  const rule = RULES[layer]
  if (!rule) return [`${path.relative(root, file)}: src/${layer} is not a known layer (${Object.keys(RULES).join(', ')})`]
  const problems = []
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.forEach((line, i) => {
    for (const match of line.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3]
      const where = `${path.relative(root, file)}:${i + 1}`
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = path.resolve(path.dirname(file), spec)
        if (!target.startsWith(src + path.sep)) {
          problems.push(`${where}: ${layer} imports "${spec}" from outside src/`)
          continue
        }
        let targetLayer = layerOf(target)
        // The renderer may see the preload's type declarations (window.api), never its code.
        if (layer === 'renderer' && targetLayer === 'preload' && /^import\s+type\s/.test(line.trim())) targetLayer = 'preload-types'
        if (!rule.layers.includes(targetLayer)) problems.push(`${where}: ${layer} must not import ${targetLayer} ("${spec}")`)
      } else if (spec === 'electron' || spec.startsWith('electron/')) {
        if (!rule.electron) problems.push(`${where}: ${layer} must not import electron`)
      } else if (builtins.has(spec)) {
        if (!rule.node) problems.push(`${where}: ${layer} must not use Node's "${spec}" (no I/O here)`)
      } else if (rule.packages !== '*') {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
        if (!rule.packages.includes(pkg)) problems.push(`${where}: ${layer} must not import the package "${pkg}"`)
      }
    }
  })
  return problems
}

const problems = [...walk(src)].flatMap(check)
if (problems.length) {
  console.error(`layer check: ${problems.length} import(s) cross a layer boundary:`)
  for (const p of problems) console.error(`  ${p}`)
  process.exit(1)
}
console.log('layer check: every import points the right way')
