// TLS's own cost in bare Node (node-floor/stream.mjs): the same file streamed over loopback by a
// few lines of Node, through plain TCP and through mutual TLS 1.3 with the product's certificates
// and suites, in interleaved rounds, with the CPU both sides spent. What dropbox-sync's TLS cost
// and its 1 GiB time are weighed against.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { makeSelfSigned } from '../src/main/engine/identity/self-signed'
import { TLS13_SUITES } from '../src/main/engine/net/tls'

const STREAM = new URL('../../bench/node-floor/stream.mjs', import.meta.url).pathname

export type StreamMode = 'plain' | 'tls'

/** One stream: its wall time, and the CPU seconds of the sending and the receiving process. */
export interface StreamSample {
  seconds: number
  senderCpu: number
  receiverCpu: number
}

/** Streams `file` in bare Node, once per round and mode, interleaved; `connections` each with a thread per side. */
export async function tlsFloor(file: string, rounds: number, connections = 1, modes: StreamMode[] = ['plain', 'tls']): Promise<Record<StreamMode, StreamSample[]>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-tls-floor-'))
  try {
    const { certPem, keyPem } = await makeSelfSigned('bench-floor')
    writeFileSync(path.join(dir, 'cert.pem'), certPem)
    writeFileSync(path.join(dir, 'key.pem'), keyPem, { mode: 0o600 })
    const run = (mode: StreamMode): StreamSample => {
      const args = [STREAM, file, mode, path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'), TLS13_SUITES, String(connections)]
      const [seconds, , senderCpu, receiverCpu] = execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split(' ')
      return { seconds: Number(seconds), senderCpu: Number(senderCpu), receiverCpu: Number(receiverCpu) }
    }
    const samples: Record<StreamMode, StreamSample[]> = { plain: [], tls: [] }
    for (let round = 0; round < rounds; round++) for (const mode of modes) samples[mode].push(run(mode))
    return samples
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Wall times of a floor's samples, for the tables that show time only. */
export function wallTimes(samples: StreamSample[]): number[] {
  return samples.map((s) => s.seconds)
}
