// The blocks bench's byte counter (bench/wire-meter.ts): ss's output read right, and real
// connections on 127.0.0.1 counted once each, both directions, closed ones included.
import { execFileSync } from 'node:child_process'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { formatBytes, parseSs, WireMeter } from '../bench/wire-meter'

describe('parseSs', () => {
  const cases: Array<{ name: string; lines: string[]; want: Array<{ key: string; bytes: number }> }> = [
    {
      name: 'one socket: sent + received',
      lines: ['ESTAB 0 0 127.0.0.1:5000 127.0.0.1:40000', '\t cubic bytes_sent:100 bytes_acked:101 bytes_received:20 segs_out:3'],
      want: [{ key: '127.0.0.1:40000 127.0.0.1:5000', bytes: 120 }],
    },
    {
      name: "the two sockets of one connection share a key, whichever end is listed first",
      lines: ['UNCONN 0 0 127.0.0.1:5000 127.0.0.1:40000', '\t bytes_sent:7', 'UNCONN 0 0 127.0.0.1:40000 127.0.0.1:5000', '\t bytes_received:7'],
      want: [
        { key: '127.0.0.1:40000 127.0.0.1:5000', bytes: 7 },
        { key: '127.0.0.1:40000 127.0.0.1:5000', bytes: 7 },
      ],
    },
    {
      name: 'a socket without tcp_info (TIME-WAIT) is left out; no counters count 0',
      lines: ['TIME-WAIT 0 0 127.0.0.1:5000 127.0.0.1:40001', 'ESTAB 0 0 [::1]:5000 [::1]:40002', '\t rto:204 mss:536'],
      want: [{ key: '[::1]:40002 [::1]:5000', bytes: 0 }],
    },
    { name: 'nothing', lines: ['', '  '], want: [] },
  ]
  for (const c of cases) it(c.name, () => expect(parseSs(c.lines)).toEqual(c.want))
})

describe('formatBytes', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 kB'],
    [426_123, '426 kB'],
    [1_076_000_000, '1.08 GB'],
  ]
  for (const [bytes, text] of cases) it(`${bytes} → ${text}`, () => expect(formatBytes(bytes)).toBe(text))
})

function hasSs(): boolean {
  try {
    execFileSync('bash', ['-c', 'command -v ss && command -v stdbuf'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe.skipIf(!hasSs())('WireMeter on real connections', () => {
  let server: Server | null = null
  let meter: WireMeter | null = null
  const sockets: Socket[] = []
  afterEach(() => {
    meter?.stop()
    for (const s of sockets) s.destroy()
    server?.close()
  })

  /** A server that answers each connection's first data with `reply` bytes. */
  async function listen(reply: number): Promise<number> {
    server = createServer((socket) => {
      sockets.push(socket)
      socket.once('data', () => socket.write(Buffer.alloc(reply)))
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }

  /** Sends `bytes`, waits for `reply` bytes back; closes the connection unless `keep`. */
  function exchange(port: number, bytes: number, reply: number, keep: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.alloc(bytes)))
      sockets.push(socket)
      let got = 0
      socket.on('error', reject)
      socket.on('data', (d: Buffer) => {
        got += d.length
        if (got < reply) return
        if (keep) return resolve()
        socket.end()
        socket.once('close', () => resolve())
      })
    })
  }

  it('counts a kept connection and one closed between samples, each byte once, and nothing from before the mark', async () => {
    const port = await listen(300_000)
    meter = await WireMeter.start([port])
    await exchange(port, 1_000, 300_000, true)
    const mark = await meter.mark()
    // Closed well before the meter's next poll: only ss -E's report of it can count it.
    await exchange(port, 5_000, 300_000, false)
    await exchange(port, 2_000, 300_000, true)
    const counted = await meter.since(mark)
    const want = 5_000 + 300_000 + 2_000 + 300_000
    expect(counted.lowerBound).toBe(false)
    // Each FIN takes one sequence number, which tcp_info counts as a byte received.
    expect(counted.bytes).toBeGreaterThanOrEqual(want)
    expect(counted.bytes).toBeLessThanOrEqual(want + 2)
  })
})
