#!/usr/bin/env node
// npm run soak -- --minutes N [--fuzz-only] [--cases N] [--cli-cases N]
//
// Runs the adversarial suite (test/adversarial: the protocol fuzzer and the hostile tests) again
// and again, each time with a fresh random FUZZ_SEED, for N minutes (default 5), printing every
// seed. Stops at the first failure with a non-zero exit and the seed that reproduces it
// (FUZZ_SEED=… npx vitest run test/adversarial). Bounded by time: no run starts after the N
// minutes, the fuzzer of the last one is told how long it has left, and a run that outlives its
// time by GRACE_MS is killed and reported as a hang. Everything the tests start listens and
// connects on 127.0.0.1 only.
import { spawn, spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const GRACE_MS = 5 * 60_000

function usage(message) {
  console.error(`soak: ${message}`)
  console.error('usage: npm run soak -- [--minutes N] [--fuzz-only] [--cases N] [--cli-cases N]')
  process.exit(2)
}

const options = { minutes: 5, fuzzOnly: false, cases: 1000, cliCases: 200 }
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const arg = args[i]
  const value = () => {
    const v = Number(args[++i])
    if (!Number.isFinite(v) || v <= 0) usage(`${arg} needs a positive number`)
    return v
  }
  if (arg === '--minutes' || arg === '-m') options.minutes = value()
  else if (arg === '--cases') options.cases = Math.floor(value())
  else if (arg === '--cli-cases') options.cliCases = Math.floor(value())
  else if (arg === '--fuzz-only') options.fuzzOnly = true
  else if (arg === '--help' || arg === '-h') usage('runs the adversarial tests with fresh seeds for N minutes')
  else usage(`unknown argument ${arg}`)
}

const started = Date.now()
const deadline = started + options.minutes * 60_000
const logs = mkdtempSync(path.join(tmpdir(), 'dbs-soak-'))
const target = options.fuzzOnly ? 'test/adversarial/fuzz-frames.test.ts' : 'test/adversarial'
let child = null

process.on('SIGINT', () => {
  if (child) {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {}
  }
  console.log('\nsoak: interrupted')
  process.exit(130)
})

console.log(`soak: ${target} for ${options.minutes} min with fresh seeds (${options.cases} cases per in-process target, ${options.cliCases} per CLI process); logs in ${logs}`)
const build = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) {
  console.error('soak: building the CLI failed')
  process.exit(1)
}

/** One run of vitest with this seed; resolves with its exit code (null: killed as a hang). */
function runOnce(seed, log) {
  const left = Math.max(10_000, deadline - Date.now())
  const env = {
    ...process.env,
    FUZZ_SEED: String(seed),
    FUZZ_CASES: String(options.cases),
    FUZZ_CLI_CASES: String(options.cliCases),
    // The fuzzer stops starting cases when the soak's time is up.
    FUZZ_BUDGET_MS: String(Math.min(left, 10 * 60_000)),
    ELECTRON_OVERRIDE_DIST_PATH: '/nonexistent',
  }
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs')
  return new Promise((resolve) => {
    child = spawn(process.execPath, [vitest, 'run', target], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const out = createWriteStream(log)
    child.stdout.pipe(out)
    child.stderr.pipe(out)
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      resolve(null)
    }, left + GRACE_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      child = null
      out.end(() => resolve(code ?? (signal ? 1 : 0)))
    })
  })
}

let runs = 0
while (Date.now() < deadline) {
  const seed = randomInt(0, 2 ** 32)
  runs++
  const log = path.join(logs, `run-${runs}-seed-${seed}.log`)
  const elapsed = ((Date.now() - started) / 60_000).toFixed(1)
  console.log(`soak: run ${runs} (${elapsed} min in), FUZZ_SEED=${seed}`)
  const code = await runOnce(seed, log)
  // eslint-disable-next-line no-control-regex
  const text = readFileSync(log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
  for (const line of text.split('\n')) if (/ cases in \d+ ms/.test(line) || /^\s*Tests\s/.test(line)) console.log(`  ${line.trim()}`)
  if (code !== 0) {
    const why = code === null ? `did not finish within ${GRACE_MS / 60_000} min of its time (a hang); killed` : `failed (exit ${code})`
    console.log(text.split('\n').slice(-80).join('\n'))
    console.error(`soak: run ${runs} ${why}: FUZZ_SEED=${seed}`)
    console.error(`soak: reproduce with FUZZ_SEED=${seed} FUZZ_CASES=${options.cases} FUZZ_CLI_CASES=${options.cliCases} npx vitest run ${target}  (full log: ${log})`)
    process.exit(1)
  }
}
console.log(`soak: ${runs} runs, every one passed, in ${((Date.now() - started) / 60_000).toFixed(1)} min`)
