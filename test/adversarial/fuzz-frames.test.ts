// The protocol fuzzer (issue 18, "The suite"; protocol 4 since issue 19, 5 since issue 20): a valid frame of every
// message type, mutated (bit flips, inserted and deleted bytes, length prefixes of 0 / max /
// max + 1 / off by one, truncated bodies, swapped type bytes, hostile strings, names, tokens and
// endpoints, huge counts, splices of two frames, protocol 3's IDENTIFY bytes), sent over real
// mutual-TLS connections on 127.0.0.1, as real test devices, to a registry server and to a
// client's folder server. The fuzzing devices are members (added to the server's member store,
// then JOIN) or announced to the folder server, so the mutations reach past the handshake; other
// runs fuzz as devices that are no members (strangers to the registry, devices a folder server
// was never told of), which must earn not-a-member or JOIN_PENDING and learn nothing. In-process
// for speed, then to real CLI processes, whose memory is read from /proc. Each reply is held
// against the model in fuzz-oracle.ts. FUZZ_SEED replays a run, FUZZ_CASES / FUZZ_CLI_CASES /
// FUZZ_OUTSIDER_CASES set how many cases go to each target; `npm run soak` runs this with fresh
// seeds for minutes.
import { randomBytes } from 'node:crypto'
import { versionOfBytes } from '../../src/main/engine/blocks/version-hasher'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_HEARTBEAT_MS } from '../../src/main/engine/defaults'
import { Membership } from '../../src/main/engine/identity/membership'
import { killAll, runCli, type CliProcess } from '../helpers/cli'
import { FakePeer } from '../helpers/fake-peer'
import { startServerDevice } from '../helpers/mirror-clients'
import { isAlive, MB, rssOf } from '../helpers/proc'
import { RawPeer } from '../helpers/raw-peer'
import { removeTempDirs, tempDir } from '../helpers/temp'
import { knowServer, makeMember, newIdentity, serverConfig, type TestIdentity } from '../helpers/test-identity'
import { envCount, runSeed, type FolderFile } from './fuzz-cases'
import { fuzzTarget, onlyCase, summary, type RunOptions, type RunResult, type Target } from './fuzz-oracle'
import { startFolderServer, startRegistry } from './servers'

const SEED = runSeed()
/** Cases per in-process target. */
const CASES = envCount('FUZZ_CASES', 300)
/** Cases per CLI process. */
const CLI_CASES = envCount('FUZZ_CLI_CASES', 100)
/** Cases per in-process target fuzzed by devices that are no members. */
const OUTSIDER_CASES = envCount('FUZZ_OUTSIDER_CASES', 150)
/** Cases by strangers to the CLI server, and by unannounced devices to the CLI client (each held 3 s there). */
const CLI_OUTSIDER_CASES = envCount('FUZZ_CLI_OUTSIDER_CASES', 40)
const CLI_FOLDER_OUTSIDER_CASES = Math.min(CLI_OUTSIDER_CASES, 12)
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

/** The shared folder of the folder targets, made afresh for each test. */
let shared: ReturnType<typeof sharedFolder>

beforeEach(() => {
  shared = sharedFolder()
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

const sha = (b: Buffer) => versionOfBytes(b)

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

/** Runs `cases` at an in-process target (none when FUZZ_ONLY names another), says how they ended. */
async function fuzzInProcess(target: Target, name: string, cases: number, lanes: number): Promise<RunResult | null> {
  const options = runOptions(name, cases, lanes, noTrouble)
  if (options.skip) return null
  const result = await fuzzTarget(target, options)
  console.info(summary(name, SEED, result))
  noTrouble()
  expect(result.ran).toBeGreaterThan(0)
  return result
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
    await a.until(() => a.has((m) => m.type === 'USER_ON' && m.endpoint.port === 49_002 && m.id.equals(b.identity.id)), 5000, 'USER_ON 49002')
    b.send({ type: 'GET_CLIENTS' })
    const list = (await b.next('CLIENT_LIST')).clients
    expect(list.map((c) => ({ endpoint: c.endpoint, id: c.id.toString('hex') }))).toContainEqual({ endpoint: { ip: '127.0.0.1', port: 49_001 }, id: a.identity.id.toString('hex') })
  } finally {
    a.close()
    b.close()
  }
}

/** An announced device gets the whole list, and every file's exact bytes, one by one and batched. */
async function expectFolderServes(port: number, device: TestIdentity, files: Map<string, FolderFile>): Promise<void> {
  const peer = await RawPeer.handshake(port, { identity: device })
  try {
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

/** `count` new devices, each made a member of the server whose member store is `configDir`. */
async function members(configDir: string, count: number): Promise<TestIdentity[]> {
  const devices: TestIdentity[] = []
  for (let i = 0; i < count; i++) {
    const device = await newIdentity(`fuzzer-${i}`)
    await makeMember(configDir, device)
    devices.push(device)
  }
  return devices
}

/** `count` new devices nobody knows. */
async function strangers(count: number): Promise<TestIdentity[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => newIdentity(`stranger-${i}`)))
}

/** None of the strangers became a member: at most held for the operator. */
async function expectNoneJoined(configDir: string, devices: TestIdentity[]): Promise<void> {
  const store = await Membership.open(configDir)
  for (const device of devices) expect(store.get(device.id)?.state ?? 'unknown', `${device.idText} in the member store`).not.toBe('member')
}

/** Strangers were turned away (not-a-member), not only by broken frames. */
function expectRefusals(result: RunResult): void {
  expect(result.outcomes['closed after ERROR not-a-member'] ?? 0, JSON.stringify(result.outcomes)).toBeGreaterThan(0)
}

describe(`protocol fuzzer (seed ${SEED}: FUZZ_SEED=${SEED} replays it)`, () => {
  it(
    `a registry server in-process: ${CASES} mutated frames from a member each get their documented reply or a close; a client still registers`,
    async () => {
      const { server, port, configDir } = await startRegistry()
      cleanup.push(() => server.stop())
      const target: Target = { name: 'registry', kind: 'registry', port, role: 'server', heartbeatMs: DEFAULT_HEARTBEAT_MS, helloName: 'adversarial-server', devices: await members(configDir, 1) }
      const result = await fuzzInProcess(target, 'registry', CASES, 1)
      if (!result) return
      await expectRegistryServes(port)
      noTrouble()
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `a registry server in-process: ${OUTSIDER_CASES} mutated frames from strangers earn not-a-member, JOIN_PENDING or their ERROR, and teach them nothing; none becomes a member`,
    async () => {
      const { server, port, configDir } = await startRegistry()
      cleanup.push(() => server.stop())
      const devices = await strangers(2)
      const target: Target = { name: 'registry-strangers', kind: 'registry', outsider: true, port, role: 'server', heartbeatMs: DEFAULT_HEARTBEAT_MS, helloName: 'adversarial-server', devices }
      const result = await fuzzInProcess(target, 'registry-strangers', OUTSIDER_CASES, 2)
      if (!result) return
      expectRefusals(result)
      await expectNoneJoined(configDir, devices)
      await expectRegistryServes(port)
      noTrouble()
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `a client's folder server in-process: ${CASES} mutated frames from an announced device each get their documented reply or a close; nothing from outside the folder is named or sent; the device still gets the list and exact bytes`,
    async () => {
      const { files, outsidePath, marker } = shared
      const device = await newIdentity('announced')
      const folder = await startFolderServer(shared.root, [device])
      cleanup.push(() => folder.stop())
      const target: Target = {
        name: 'folder',
        kind: 'folder',
        port: folder.port,
        role: 'client',
        heartbeatMs: DEFAULT_HEARTBEAT_MS,
        helloName: folder.identity.name,
        devices: [device],
        files,
        announced: { ip: '127.0.0.1', port: 40_001 },
        outsidePath,
        marker,
      }
      const result = await fuzzInProcess(target, 'folder', CASES, 1)
      if (!result) return
      expect(result.markerSeen).toBe(0)
      await expectFolderServes(folder.port, device, files)
      noTrouble()
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `a client's folder server in-process: ${OUTSIDER_CASES} mutated frames from devices it was never told of earn not-a-member (no HELLO, no file) or their ERROR`,
    async () => {
      const { files, outsidePath, marker } = shared
      const device = await newIdentity('announced')
      const folder = await startFolderServer(shared.root, [device])
      cleanup.push(() => folder.stop())
      const target: Target = {
        name: 'folder-strangers',
        kind: 'folder',
        outsider: true,
        port: folder.port,
        role: 'client',
        heartbeatMs: DEFAULT_HEARTBEAT_MS,
        helloName: folder.identity.name,
        devices: await strangers(2),
        files,
        announced: { ip: '127.0.0.1', port: 40_001 },
        outsidePath,
        marker,
      }
      const result = await fuzzInProcess(target, 'folder-strangers', OUTSIDER_CASES, 2)
      if (!result) return
      expect(result.markerSeen).toBe(0)
      expectRefusals(result)
      await expectFolderServes(folder.port, device, files)
      noTrouble()
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `real CLI processes: a server and a client's folder port take ${CLI_CASES} mutated frames each from members, and some from strangers, stay alive under ${RSS_BOUND_MB} MB RSS, and still serve`,
    async () => {
      const processes: Array<[string, CliProcess]> = []
      const alive = (): void => {
        for (const [name, cli] of processes) {
          if (cli.child.exitCode !== null || cli.child.signalCode !== null) {
            throw new Error(`${name} (pid ${cli.child.pid}) exited (code ${cli.child.exitCode}, signal ${cli.child.signalCode}); stderr: ${cli.stderr.slice(-2000)}`)
          }
        }
      }
      // Four connections each side by side (a device the client was never told of is held 3 s there).
      const registryOptions = runOptions('cli-registry', CLI_CASES, 4, alive)
      const folderOptions = runOptions('cli-folder', CLI_CASES, 4, alive)
      const registryOutsiderOptions = runOptions('cli-registry-strangers', CLI_OUTSIDER_CASES, 2, alive)
      const folderOutsiderOptions = runOptions('cli-folder-strangers', CLI_FOLDER_OUTSIDER_CASES, 4, alive)
      if ([registryOptions, folderOptions, registryOutsiderOptions, folderOutsiderOptions].every((o) => o.skip)) return
      const { root, files, outsidePath, marker } = shared
      const started = (cli: CliProcess) => cleanup.push(() => cli.kill('SIGKILL'))
      // The registry that is fuzzed has no real client: nobody dials the addresses the fuzzer registers.
      const { configDir: fuzzedConfig } = await serverConfig()
      const fuzzed = runCli(['server', '-p', '0', '--host', '127.0.0.1', '--config', fuzzedConfig, '--name', 'fuzzed-server'])
      started(fuzzed)
      const fuzzedPort = (await fuzzed.waitFor('ready', {}, 15_000)).port
      knowServer(fuzzedPort, fuzzedConfig)
      // A clean registry announces the fuzzer's device (a fake peer's, listening) to the client.
      const clean = await startServerDevice('--heartbeat', '60000')
      started(clean.cli)
      knowServer(clean.port, clean.configDir)
      const fake = new FakePeer([])
      await fake.start()
      cleanup.push(() => fake.stop())
      // Registered by hand as the fake peer's device, and kept alive however long a soak makes this run.
      const registration = await RawPeer.logOn(clean.port, { ip: '127.0.0.1', port: fake.port }, { identity: fake.identity! })
      const pinger = setInterval(() => registration.send({ type: 'PING' }), 20_000)
      cleanup.push(() => {
        clearInterval(pinger)
        registration.close()
      })
      const client = runCli(['client', '-d', root, '-sp', String(clean.port), '-sip', '127.0.0.1', '--host', '127.0.0.1', '--name', 'fuzzed-client'])
      started(client)
      const clientPort = (await client.waitFor('ready', { role: 'client' }, 30_000)).port
      await client.waitFor('peer-joined', { port: fake.port }, 15_000)
      const announced = { ip: '127.0.0.1', port: fake.port }

      processes.push(['the fuzzed server', fuzzed], ['the clean server', clean.cli], ['the client', client])
      const common = { role: 'server', heartbeatMs: DEFAULT_HEARTBEAT_MS, helloName: 'fuzzed-server' } as const
      const registryTarget: Target = { name: 'cli-registry', kind: 'registry', port: fuzzedPort, ...common, devices: await members(fuzzedConfig, 4) }
      const registryOutsiders = await strangers(2)
      const registryOutsiderTarget: Target = { name: 'cli-registry-strangers', kind: 'registry', outsider: true, port: fuzzedPort, ...common, devices: registryOutsiders }
      const folderCommon = { kind: 'folder', port: clientPort, role: 'client', heartbeatMs: DEFAULT_HEARTBEAT_MS, helloName: 'fuzzed-client', files, announced, outsidePath, marker } as const
      const folderTarget: Target = { name: 'cli-folder', ...folderCommon, devices: [fake.identity!] }
      const folderOutsiderTarget: Target = { name: 'cli-folder-strangers', ...folderCommon, outsider: true, devices: await strangers(4) }
      const runs: Array<[string, Target, RunOptions & { skip: boolean }]> = [
        ['cli-registry', registryTarget, registryOptions],
        ['cli-folder', folderTarget, folderOptions],
        ['cli-registry-strangers', registryOutsiderTarget, registryOutsiderOptions],
        ['cli-folder-strangers', folderOutsiderTarget, folderOutsiderOptions],
      ]
      const results = await Promise.all(runs.map(([, target, options]) => (options.skip ? null : fuzzTarget(target, options))))
      runs.forEach(([name], i) => {
        if (results[i]) console.info(summary(name, SEED, results[i]))
      })

      alive()
      for (const [name, cli] of processes) expect(isAlive(cli.child.pid!), `${name} is alive`).toBe(true)
      for (const [name, cli] of [processes[0]!, processes[2]!]) {
        const rss = rssOf(cli.child.pid!)
        console.info(`${name}: ${Math.round(rss / MB)} MB RSS after the run (bound ${RSS_BOUND_MB} MB)`)
        expect(rss / MB, `${name}'s RSS in MB`).toBeLessThan(RSS_BOUND_MB)
      }
      expect(results.every((r) => r === null || r.markerSeen === 0)).toBe(true)
      for (const r of results.slice(2)) if (r) expectRefusals(r)
      await expectNoneJoined(fuzzedConfig, registryOutsiders)
      await expectRegistryServes(fuzzedPort)
      await expectFolderServes(clientPort, fake.identity!, files)
      alive()
    },
    TEST_TIMEOUT_MS + 30_000,
  )
})
