// The receiving half of the running floor (see watch-sender.mjs): N worker threads, each with its
// own connection, as ours has; each record's SHA-256 checked, written to a temp file beside its
// final path and renamed into place, as receiver.mjs does. After each chunk of records the main
// thread prints how many distinct paths all of them have placed so far, for the bench to wait on.
// usage: node watch-receiver.mjs PORT DST WORKERS [CERT KEY SUITES]      prints: FILES (again and again)
import { hash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

if (isMainThread) {
  const [port, dst, shares] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])]
  const [cert, key, suites] = process.argv.slice(5)
  const placed = new Set()
  for (let share = 0; share < shares; share++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { port, dst, share, shares, cert, key, suites } })
    worker.on('error', (error) => {
      console.error(`floor receiver: ${error.message}`)
      process.exit(1)
    })
    worker.on('message', (names) => {
      for (const name of names) placed.add(name)
      process.stdout.write(`${placed.size}\n`)
    })
    worker.on('exit', () => process.exit(0))
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
    const names = []
    while (pending.length - at >= 40) {
      const nameBytes = pending.readUInt32BE(at)
      const dataBytes = pending.readUInt32BE(at + 4)
      const end = at + 40 + nameBytes + dataBytes
      if (end > pending.length) break
      const name = pending.toString('utf8', at + 40, at + 40 + nameBytes)
      place(name, pending.subarray(at + 8, at + 40), pending.subarray(at + 40 + nameBytes, end))
      names.push(name)
      at = end
    }
    pending = pending.subarray(at)
    if (names.length) parentPort.postMessage(names)
  })
  socket.on('close', () => process.exit(0))
}
