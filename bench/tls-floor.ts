// TLS's own cost in bare Node (node-floor/stream.mjs): the same file streamed over loopback by a
// few lines of Node, through plain TCP and through mutual TLS 1.3 with the product's certificates
// and suites, in interleaved rounds. What dropbox-sync's TLS cost is weighed against.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { makeSelfSigned } from '../src/main/engine/identity/self-signed'
import { TLS13_SUITES } from '../src/main/engine/net/tls'

const STREAM = new URL('../../bench/node-floor/stream.mjs', import.meta.url).pathname

export async function tlsFloor(file: string, rounds: number): Promise<{ plain: number[]; tls: number[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-tls-floor-'))
  try {
    const { certPem, keyPem } = await makeSelfSigned('bench-floor')
    writeFileSync(path.join(dir, 'cert.pem'), certPem)
    writeFileSync(path.join(dir, 'key.pem'), keyPem, { mode: 0o600 })
    const run = (mode: 'plain' | 'tls'): number => {
      const out = execFileSync(process.execPath, [STREAM, file, mode, path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'), TLS13_SUITES], { encoding: 'utf8' })
      return Number(out.trim().split(' ')[0])
    }
    const times = { plain: [] as number[], tls: [] as number[] }
    for (let round = 0; round < rounds; round++) {
      times.plain.push(run('plain'))
      times.tls.push(run('tls'))
    }
    return times
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
