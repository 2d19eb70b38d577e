// What the blocks bench's rows share: a sample (seconds and bytes on the wire), tools run in
// interleaved rounds, temp folders, and how a cell reads.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { atBenchExit } from './at-exit'
import { median, orderOf } from './sync'
import { formatBytes, type WireBytes, type WireMark, type WireMeter } from './wire-meter'

export const GiB = 1024 * 1024 * 1024
export const SCALE = Number(process.env['BENCH_SCALE'] ?? 1)
export const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
export const BIG = Math.round(GiB * SCALE)
export const SMALL_FILES = Math.max(100, Math.round(10_000 * SCALE))
/** Longest any one wait may take before the bench gives up on it. */
export const DEADLINE_MS = 600_000

export interface Sample {
  seconds: number
  wire: WireBytes
  /** Resume rows: the share of the file on the wire when the sender was killed. */
  killedAt?: number
  rssMb?: number
  /** CPU seconds of the tool's own processes, both sides and every thread, from the change until done (where the bench can read them). */
  cpu?: number
}

/** One tool in one row: made ready untimed, then measured once per round. */
export interface ToolRun {
  setup(): Promise<void>
  round(round: number): Promise<Sample>
  close(): Promise<void>
}

export type Outcome = Sample[] | { failed: string }

/**
 * Every tool's rounds, interleaved (the order rotates each round, so none always goes first). A
 * tool whose setup or round throws is reported as failed, with why; the others go on.
 */
export async function interleave(row: string, tools: Record<string, ToolRun>): Promise<Record<string, Outcome>> {
  const names = Object.keys(tools)
  const results: Record<string, Outcome> = {}
  for (const name of names) results[name] = []
  const fail = (name: string, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`  ${row}: ${name} failed: ${message}`)
    results[name] = { failed: message.split('\n')[0]!.slice(0, 160) }
  }
  try {
    for (const name of names) await tools[name]!.setup().catch((error: unknown) => fail(name, error))
    for (let round = 0; round < ROUNDS; round++) {
      for (const i of orderOf(round, names.length)) {
        const name = names[i]!
        const samples = results[name]!
        if (!Array.isArray(samples)) continue
        await tools[name]!.round(round).then(
          (sample) => samples.push(sample),
          (error: unknown) => fail(name, error),
        )
      }
      const said = names.map((name) => {
        const r = results[name]!
        return Array.isArray(r) && r.length ? `${name} ${describe(r.at(-1)!)}` : `${name} failed`
      })
      console.error(`  ${row}, round ${round + 1}: ${said.join('; ')}`)
    }
  } finally {
    for (const name of names) await tools[name]!.close().catch((error: unknown) => console.error(`  ${row}: closing ${name}: ${String(error)}`))
  }
  return results
}

function describe(s: Sample): string {
  const killed = s.killedAt === undefined ? '' : `, killed at ${Math.round(100 * s.killedAt)}%`
  return `${s.seconds.toFixed(2)} s, ${wireText(s.wire)}${killed}${s.rssMb ? `, ${s.rssMb.toFixed(0)} MB RSS` : ''}${s.cpu === undefined ? '' : `, CPU ${s.cpu.toFixed(2)} s`}`
}

function wireText(w: WireBytes): string {
  return `${w.lowerBound ? '≥ ' : ''}${formatBytes(w.bytes)}`
}

/** "2.61 s (2.50–2.93) · 1.07 GB": the median time, its range, the median bytes on the wire (and their range when it is wide). */
export function cell(outcome: Outcome | string, show: 'time' | 'rss' = 'time'): string {
  if (typeof outcome === 'string') return outcome
  if (!Array.isArray(outcome)) return `failed: ${outcome.failed}`
  if (outcome.length === 0) return '—'
  const range = (values: number[], digits: number): string =>
    values.length > 1 ? ` (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})` : ''
  const times = outcome.map((s) => s.seconds)
  const bytes = outcome.map((s) => s.wire.bytes)
  const low = outcome.some((s) => s.wire.lowerBound) ? '≥ ' : ''
  const spread = Math.max(...bytes) - Math.min(...bytes) > 0.02 * Math.max(1, median(bytes)) ? ` (${formatBytes(Math.min(...bytes))}–${formatBytes(Math.max(...bytes))})` : ''
  const wire = `${low}${formatBytes(median(bytes))}${spread}`
  const killed = outcome.flatMap((s) => (s.killedAt === undefined ? [] : [Math.round(100 * s.killedAt)]))
  const noteText = killed.length ? `; killed at ${Math.min(...killed)}${killed.length > 1 && Math.max(...killed) !== Math.min(...killed) ? `–${Math.max(...killed)}` : ''}%` : ''
  if (show === 'rss') {
    const rss = outcome.map((s) => s.rssMb ?? 0)
    return `${median(rss).toFixed(0)} MB${range(rss, 0)} · ${median(times).toFixed(2)} s · ${wire}`
  }
  const cpus = outcome.flatMap((s) => (s.cpu === undefined ? [] : [s.cpu]))
  const cpu = cpus.length === outcome.length ? ` · CPU ${median(cpus).toFixed(2)} s${range(cpus, 2)}` : ''
  return `${median(times).toFixed(2)} s${range(times, 2)} · ${wire}${noteText}${cpu}`
}

/** Median against median, with the range of the rounds' own ratios. */
export function ratio(ours: Outcome, theirs: Outcome): string {
  if (!Array.isArray(ours) || !Array.isArray(theirs) || !ours.length || !theirs.length) return '—'
  const a = ours.map((s) => s.seconds)
  const b = theirs.map((s) => s.seconds)
  const perRound = a.slice(0, b.length).map((t, i) => t / b[i]!)
  const range = perRound.length > 1 ? ` (${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})` : ''
  return `${(median(a) / median(b)).toFixed(2)}×${range}`
}

/** Temp folders of this run, removed by cleanUp (at the end: see sync.ts on deleting many files mid-run), or when the bench is interrupted. */
const made: string[] = []
atBenchExit(() => cleanUp())

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-blocks-${prefix}-`))
  made.push(dir)
  return dir
}

export function cleanUp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Bytes from `mark` until the meter shows at least `bytes`, polled; throws past the deadline. */
export async function untilWire(meter: WireMeter, mark: WireMark, bytes: number, alive: () => boolean): Promise<number> {
  const deadline = Date.now() + DEADLINE_MS
  for (;;) {
    const seen = await meter.peek(mark)
    if (seen >= bytes) return seen
    if (!alive()) throw new Error(`the transfer ended at ${formatBytes(seen)} before reaching ${formatBytes(bytes)}`)
    if (Date.now() > deadline) throw new Error(`the wire showed ${formatBytes(seen)} of ${formatBytes(bytes)} within ${DEADLINE_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The one folder in a dropbox-sync mirror root that holds `device`'s files (NAME-SHORTID). */
export function mirrorOf(root: string, device: string): string {
  const folder = readdirSync(root).find((name) => name.startsWith(`${device}-`))
  if (!folder) throw new Error(`no mirror of ${device} in ${root}`)
  return path.join(root, folder)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
