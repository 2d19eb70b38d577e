// The fresh 1 GiB row's floor: bare Node streaming the same file over loopback (no hashing, no
// writing, no protocol), plain and TLS, over one and two connections with a thread each per side,
// in the same run. Its CPU over the two cores is the least wall time any Node receiver and sender
// pair can reach for that file with TLS on the wire.
import { availableParallelism } from 'node:os'
import { ROUNDS, type Outcome } from './blocks-common'
import { median } from './sync'
import { tlsFloor, type StreamMode, type StreamSample } from './tls-floor'

function spread(values: number[]): string {
  return `${median(values).toFixed(2)} s${values.length > 1 ? ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})` : ''}`
}

/** Rows in the blocks table's columns: work, dropbox-sync's column (the floor's), rsync, Syncthing, ÷ rsync, goal. */
export async function streamFloorRows(file: string, rsync: Outcome): Promise<string[][]> {
  const rsyncMedian = Array.isArray(rsync) && rsync.length ? median(rsync.map((s) => s.seconds)) : null
  const cores = availableParallelism()
  const rows: string[][] = []
  const add = (mode: StreamMode, connections: number, samples: StreamSample[]): void => {
    const wall = samples.map((s) => s.seconds)
    const cpu = samples.map((s) => s.senderCpu + s.receiverCpu)
    const least = median(cpu) / cores
    rows.push([
      `  bare Node streaming it, ${mode === 'tls' ? 'TLS 1.3' : 'plain TCP'}, ${connections} connection${connections > 1 ? 's' : ''} (a thread each per side; no hash, no write), same run: wall · CPU of both sides`,
      `${spread(wall)} · CPU ${spread(cpu)}`,
      '—',
      '—',
      rsyncMedian ? `${(median(wall) / rsyncMedian).toFixed(2)}×` : '—',
      `CPU ÷ ${cores} cores = ${least.toFixed(2)} s${rsyncMedian ? ` (${(least / rsyncMedian).toFixed(2)}× rsync)` : ''}`,
    ])
  }
  for (const connections of [1, 2]) {
    const samples = await tlsFloor(file, ROUNDS, connections)
    add('plain', connections, samples.plain)
    add('tls', connections, samples.tls)
  }
  return rows
}
