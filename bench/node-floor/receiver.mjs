// The least a Node program built like dropbox-sync's receiver can take for many small files: a
// process started on the clock, N worker threads that each open their own connection to the
// sender and take their share, check each file's SHA-256, write it to a temp file beside its
// final path and rename it into place. Nothing else: no registry, no index, no manifest, no
// events, no path or peer checks. The benchmark times it from its spawn to its exit next to rsync.
// With CERT and KEY each connection is mutual TLS 1.3 with those (self-signed, no CA), as
// dropbox-sync's are: what TLS alone adds to the floor.
// usage: node receiver.mjs PORT DST WORKERS [CERT KEY SUITES]
import { hash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

if (isMainThread) {
  const [port, dst, shares] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])]
  const [cert, key, suites] = process.argv.slice(5)
  let running = shares
  for (let share = 0; share < shares; share++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { port, dst, share, shares, cert, key, suites } })
    worker.on('error', (error) => {
      console.error(`floor receiver: ${error.message}`)
      process.exit(1)
    })
    worker.on('exit', () => --running === 0 && process.exit(0))
  }
} else {
  const { port, dst, share, shares, cert, key, suites } = workerData
  const folders = new Set()
  let temps = 0
  let pending = Buffer.alloc(0)
  const place = (name, version, data) => {
    if (!hash('sha256', data, 'buffer').equals(version)) throw new Error(`${name}: wrong SHA-256`)
    const target = path.join(dst, name)
    const folder = path.dirname(target)
    if (!folders.has(folder)) mkdirSync(folder, { recursive: true }), folders.add(folder)
    const temp = path.join(folder, `.tmp-${share}-${temps++}`)
    const fd = openSync(temp, 'wx')
    writeSync(fd, data)
    closeSync(fd)
    renameSync(temp, target)
  }
  const ask = () => socket.write(`${share} ${shares}\n`)
  const socket = cert
    ? tls.connect({ host: '127.0.0.1', port, cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.3', rejectUnauthorized: false, ...(suites ? { ciphers: suites } : {}) }, ask)
    : net.connect(port, '127.0.0.1', ask)
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    let at = 0
    while (pending.length - at >= 40) {
      const nameBytes = pending.readUInt32BE(at)
      const dataBytes = pending.readUInt32BE(at + 4)
      const end = at + 40 + nameBytes + dataBytes
      if (end > pending.length) break
      const name = pending.toString('utf8', at + 40, at + 40 + nameBytes)
      place(name, pending.subarray(at + 8, at + 40), pending.subarray(at + 40 + nameBytes, end))
      at = end
    }
    pending = pending.subarray(at)
  })
  socket.on('end', () => socket.destroy())
}
