// The protocol fuzzer (issue 18, "The suite"): a valid frame of every message type, mutated (bit
// flips, inserted and deleted bytes, length prefixes of 0 / max / max + 1 / off by one, truncated
// bodies, swapped type bytes, hostile strings and endpoints, huge counts, splices of two frames),
// sent over real sockets on 127.0.0.1 to a registry server and to a client's folder server (the
// fuzzing connection announced as a peer, so mutations reach past IDENTIFY): in-process for speed,
// then to real CLI processes, whose memory is read from /proc. Each reply is held against
// docs/PROTOCOL.md (see fuzz-oracle.ts). FUZZ_SEED replays a run, FUZZ_CASES / FUZZ_CLI_CASES set
// how many cases go to each target; `npm run soak` runs this with fresh seeds for minutes.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FolderServer } from '../../src/main/engine/client/folder-server'
import { FolderIndex } from '../../src/main/engine/folder/folder-index'
import { DEFAULT_HEARTBEAT_MS } from '../../src/main/engine/defaults'
import { RegistryServer } from '../../src/main/engine/registry/registry-server'
import type { Endpoint } from '../../src/shared/endpoint'
import { killAll, runCli, type CliProcess } from '../helpers/cli'
import { EventLog } from '../helpers/events'
import { FakePeer } from '../helpers/fake-peer'
import { isAlive, MB, rssOf } from '../helpers/proc'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { envCount, runSeed, type FolderFile } from './fuzz-cases'
import { fuzzTarget, onlyCase, summary, type RunOptions, type Target } from './fuzz-oracle'

const SEED = runSeed()
/** Cases per in-process target. */
const CASES = envCount('FUZZ_CASES', 300)
/** Cases per CLI process. */
const CLI_CASES = envCount('FUZZ_CLI_CASES', 100)
/** No target is fuzzed longer than this (ms); the loop stops starting cases then. */
const BUDGET_MS = envCount('FUZZ_BUDGET_MS', 40_000)
const TEST_TIMEOUT_MS = BUDGET_MS + 60_000
/** What a CLI process may hold after the run, read from outside (VmRSS). */
const RSS_BOUND_MB = 200

const cleanup: Array<() => Promise<void> | void> = []
const troubles: string[] = []
const onTrouble = (error: unknown): void => {
  troubles.push(error instanceof Error ? (error.stack ?? error.message) : String(error))
}

beforeEach(() => {
  troubles.length = 0
  process.on('unhandledRejection', onTrouble)
  process.on('uncaughtException', onTrouble)
})

afterEach(async () => {
  process.off('unhandledRejection', onTrouble)
  process.off('uncaughtException', onTrouble)
  for (const step of cleanup.splice(0).reverse()) await step()
  killAll()
  removeTempDirs()
})

/** An unhandled rejection or exception in this process (where the in-process servers run) ends the run. */
function noTrouble(): void {
  if (troubles.length) throw new Error(`the process had an unhandled error: ${troubles[0]}`)
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest()

/**
 * A shared folder with small, empty, large (streamed, too large for FILES) and non-ASCII files,
 * and links out of it to a file whose content is a marker: no reply may ever carry it.
 */
function sharedFolder(): { root: string; files: Map<string, FolderFile>; outsidePath: string; marker: Buffer } {
  const root = tempDir('fuzz-shared-')
  const outside = tempDir('fuzz-outside-')
  const marker = Buffer.from(`OUTSIDE-THE-SHARED-FOLDER-${randomBytes(12).toString('hex')}`)
  const outsidePath = path.join(outside, 'secret.txt')
  writeFileSync(outsidePath, marker)
  const contents: Array<[string, Buffer]> = [
    ['a.txt', Buffer.from('hello\n')],
    ['empty.txt', Buffer.alloc(0)],
    ['small.bin', randomBytes(60 * 1024)],
    ['dir/sub/b.bin', randomBytes(100 * 1024)],
    ['ünï €.txt', Buffer.from('non-ASCII name\n')],
  ]
  const files = new Map<string, FolderFile>()
  for (const [rel, content] of contents) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), content)
    files.set(rel, { path: rel, content, version: sha(content) })
  }
  symlinkSync(outsidePath, path.join(root, 'link-file'))
  symlinkSync(outside, path.join(root, 'link-dir'))
  return { root, files, outsidePath, marker }
}

function runOptions(name: string, cases: number, lanes: number, checkAlive: () => void): RunOptions & { skip: boolean } {
  const only = onlyCase(name)
  return { seed: SEED, cases, lanes, budgetMs: BUDGET_MS, only: only !== undefined && only >= 0 ? only : undefined, checkAlive, skip: only === -1 }
}

/** A legitimate client registers, lists, and is announced to another. */
async function expectRegistryServes(port: number): Promise<void> {
  const a = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 49_001 })
  const b = await RawPeer.logOn(port, { ip: '127.0.0.1', port: 49_002 })
  try {
    await a.until(() => a.has((m) => m.type === 'USER_ON' && m.endpoint.port === 49_002), 5000, 'USER_ON 49002')
    b.send({ type: 'GET_CLIENTS' })
    expect((await b.next('CLIENT_LIST')).clients).toContainEqual({ ip: '127.0.0.1', port: 49_001 })
  } finally {
    a.close()
    b.close()
  }
}

/** An announced peer gets the whole list, and every file's exact bytes, one by one and batched. */
async function expectFolderServes(port: number, announced: Endpoint, files: Map<string, FolderFile>): Promise<void> {
  const peer = await RawPeer.hello(port)
  try {
    peer.send({ type: 'IDENTIFY', endpoint: announced })
    await peer.next('IDENTIFY_OK', 10_000)
    peer.send({ type: 'GET_FILE_LIST' })
    const listed: string[] = []
    for (let last = false; !last; ) {
      const list = await peer.next('FILE_LIST')
      listed.push(...list.files.map((f) => f.path))
      last = list.last
    }
    expect(listed.sort()).toEqual([...files.keys()].sort())
    for (const file of files.values()) {
      peer.send({ type: 'GET_FILE', path: file.path, version: null })
      expect(await peer.next('FILE_SIZE')).toMatchObject({ path: file.path, size: file.content.length })
      const parts: Buffer[] = []
      for (let got = 0; got < file.content.length; ) {
        const data = (await peer.next('FILE_DATA')).data
        parts.push(data)
        got += data.length
      }
      expect(Buffer.concat(parts).equals(file.content), `the bytes of ${file.path}`).toBe(true)
    }
    const small = [...files.values()].filter((f) => f.content.length <= 64 * 1024)
    peer.send({ type: 'GET_FILES', files: small.map((f) => ({ path: f.path, version: null })) })
    const batch = await peer.next('FILES')
    expect(batch.last).toBe(true)
    batch.records.forEach((record, i) => {
      expect(record.status === 'content' && record.data.equals(small[i]!.content), `record ${i} (${small[i]!.path})`).toBe(true)
    })
  } finally {
    peer.close()
  }
}

describe(`protocol fuzzer (seed ${SEED}: FUZZ_SEED=${SEED} replays it)`, () => {
  it(
    `a registry server in-process: ${CASES} mutated frames each get their documented reply or a close; a client still registers`,
    async () => {
      const log = new EventLog()
      const server = new RegistryServer({ port: 0, host: '127.0.0.1', onEvent: log.sink })
      const { port } = await server.start()
      cleanup.push(() => server.stop())
      const target: Target = { name: 'registry', kind: 'registry', port, role: 'server', heartbeatMs: DEFAULT_HEARTBEAT_MS }
      const options = runOptions('registry', CASES, 1, noTrouble)
      if (options.skip) return
      const result = await fuzzTarget(target, options)
      console.info(summary('registry', SEED, result))
      noTrouble()
      expect(result.ran).toBeGreaterThan(0)
      await expectRegistryServes(port)
      noTrouble()
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `a client's folder server in-process: ${CASES} mutated frames from an announced peer each get their documented reply or a close; nothing from outside the folder is named or sent; the peer still gets the list and exact bytes`,
    async () => {
      const { root, files, outsidePath, marker } = sharedFolder()
      const announced = { ip: '127.0.0.1', port: 40_001 }
      const log = new EventLog()
      const index = new FolderIndex(root, path.join(tempDir('fuzz-state-'), 'index.json'), log.sink)
      await index.open()
      const key = `127.0.0.1:${announced.port}`
      const server = new FolderServer({
        port: 0,
        host: '127.0.0.1',
        nodeId: randomBytes(16),
        index,
        // In-process an unknown peer is refused at once; the CLI process below waits its real 3 s.
        peers: { has: (k) => k === key, waitFor: async (k) => k === key },
        onEvent: log.sink,
      })
      const { port } = await server.start()
      cleanup.push(
        () => index.close(),
        () => server.stop(),
      )
      const target: Target = { name: 'folder', kind: 'folder', port, role: 'client', heartbeatMs: DEFAULT_HEARTBEAT_MS, files, announced, outsidePath, marker }
      const options = runOptions('folder', CASES, 1, noTrouble)
      if (options.skip) return
      const result = await fuzzTarget(target, options)
      console.info(summary('folder', SEED, result))
      noTrouble()
      expect(result.ran).toBeGreaterThan(0)
      expect(result.markerSeen).toBe(0)
      await expectFolderServes(port, announced, files)
      noTrouble()
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `real CLI processes: a server and a client's folder port take ${CLI_CASES} mutated frames each, stay alive under ${RSS_BOUND_MB} MB RSS, and still serve`,
    async () => {
      const processes: Array<[string, CliProcess]> = []
      const alive = (): void => {
        for (const [name, cli] of processes) {
          if (cli.child.exitCode !== null || cli.child.signalCode !== null) {
            throw new Error(`${name} (pid ${cli.child.pid}) exited (code ${cli.child.exitCode}, signal ${cli.child.signalCode}); stderr: ${cli.stderr.slice(-2000)}`)
          }
        }
      }
      // Four connections each side by side: an IDENTIFY as an unknown peer of the same IP holds its connection 3 s.
      const registryOptions = runOptions('cli-registry', CLI_CASES, 4, alive)
      const folderOptions = runOptions('cli-folder', CLI_CASES, 4, alive)
      if (registryOptions.skip && folderOptions.skip) return
      const { root, files, outsidePath, marker } = sharedFolder()
      const started = (cli: CliProcess) => cleanup.push(() => cli.kill('SIGKILL'))
      // The registry that is fuzzed has no real client: nobody dials the addresses the fuzzer registers.
      const fuzzed = runCli(['server', '-p', '0', '--host', '127.0.0.1'])
      started(fuzzed)
      const fuzzedPort = (await fuzzed.waitFor('ready', {}, 15_000)).port
      // A clean registry announces the fuzzer's endpoint (a fake peer, listening) to the client.
      const registry = runCli(['server', '-p', '0', '--host', '127.0.0.1', '--heartbeat', '60000'])
      started(registry)
      const registryPort = (await registry.waitFor('ready', {}, 15_000)).port
      const fake = new FakePeer([])
      await fake.start()
      cleanup.push(() => fake.stop())
      // Registered by hand, and kept alive however long a soak makes this run.
      const registration = await RawPeer.logOn(registryPort, { ip: '127.0.0.1', port: fake.port })
      const pinger = setInterval(() => registration.send({ type: 'PING' }), 20_000)
      cleanup.push(() => {
        clearInterval(pinger)
        registration.close()
      })
      const client = runCli(['client', '-d', root, '-sp', String(registryPort), '-sip', '127.0.0.1', '--host', '127.0.0.1'])
      started(client)
      const clientPort = (await client.waitFor('ready', { role: 'client' }, 30_000)).port
      await client.waitFor('peer-joined', { port: fake.port }, 15_000)
      const announced = { ip: '127.0.0.1', port: fake.port }

      processes.push(['the fuzzed server', fuzzed], ['the clean server', registry], ['the client', client])
      const registryTarget: Target = { name: 'cli-registry', kind: 'registry', port: fuzzedPort, role: 'server', heartbeatMs: DEFAULT_HEARTBEAT_MS }
      const folderTarget: Target = { name: 'cli-folder', kind: 'folder', port: clientPort, role: 'client', heartbeatMs: DEFAULT_HEARTBEAT_MS, files, announced, outsidePath, marker }
      const results = await Promise.all([
        registryOptions.skip ? null : fuzzTarget(registryTarget, registryOptions),
        folderOptions.skip ? null : fuzzTarget(folderTarget, folderOptions),
      ])
      if (results[0]) console.info(summary('cli-registry', SEED, results[0]))
      if (results[1]) console.info(summary('cli-folder', SEED, results[1]))

      alive()
      for (const [name, cli] of processes) expect(isAlive(cli.child.pid!), `${name} is alive`).toBe(true)
      for (const [name, cli] of [processes[0]!, processes[2]!]) {
        const rss = rssOf(cli.child.pid!)
        console.info(`${name}: ${Math.round(rss / MB)} MB RSS after the run (bound ${RSS_BOUND_MB} MB)`)
        expect(rss / MB, `${name}'s RSS in MB`).toBeLessThan(RSS_BOUND_MB)
      }
      expect(results.every((r) => r === null || r.markerSeen === 0)).toBe(true)
      await expectRegistryServes(fuzzedPort)
      await expectFolderServes(clientPort, announced, files)
      alive()
    },
    TEST_TIMEOUT_MS + 30_000,
  )
})
