// TLS's own cost in bare Node: one file streamed over loopback from this process to a receiver
// process that only counts the bytes, through plain TCP or mutual TLS 1.3 as the product uses it
// (each side's self-signed certificate, no CA), over one or more connections, each with a thread
// of its own on both sides (the file cut in equal ranges). None of dropbox-sync's code runs: this
// is the floor any Node program pays for the same stream, and the CPU both sides spend on it.
// usage: node stream.mjs FILE plain|tls CERT KEY [SUITES] [CONNECTIONS]
// prints: SECONDS CIPHER SENDER_CPU_SECONDS RECEIVER_CPU_SECONDS
import { fork } from 'node:child_process'
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'

const self = new URL(import.meta.url).pathname
const CHUNK = 1 << 20
const tlsOptions = ({ cert, key, suites }) => ({ cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false, ...(suites ? { ciphers: suites } : {}) })
const cpuSeconds = (since) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1e6
}
const message = (from) => new Promise((resolve) => from.once('message', resolve))

if (!isMainThread) {
  const job = workerData
  if (job.role === 'receive') {
    const onSocket = (socket) => {
      let bytes = 0
      socket.on('data', (chunk) => (bytes += chunk.length))
      socket.on('end', () => parentPort.postMessage({ bytes }))
    }
    const server = job.mode === 'tls' ? tls.createServer({ ...tlsOptions(job), requestCert: true }, onSocket) : net.createServer(onSocket)
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }))
  } else {
    const socket = job.mode === 'tls' ? tls.connect({ ...tlsOptions(job), host: '127.0.0.1', port: job.port }) : net.connect(job.port, '127.0.0.1')
    await new Promise((resolve, reject) => socket.once(job.mode === 'tls' ? 'secureConnect' : 'connect', resolve).once('error', reject))
    parentPort.postMessage({ cipher: job.mode === 'tls' ? socket.getCipher().name : 'none' })
    await message(parentPort)
    const fd = openSync(job.file, 'r')
    for (let at = job.from; at < job.to; at += CHUNK) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, job.to - at))
      const n = readSync(fd, buffer, 0, buffer.length, at)
      if (!socket.write(n < buffer.length ? buffer.subarray(0, n) : buffer)) await new Promise((resolve) => socket.once('drain', resolve))
    }
    closeSync(fd)
    socket.end()
  }
} else if (process.argv[2] === '--receive') {
  const [mode, cert, key, suites, connections] = process.argv.slice(3)
  const threads = Array.from({ length: Number(connections) }, () => new Worker(self, { workerData: { role: 'receive', mode, cert, key, suites } }))
  const ports = await Promise.all(threads.map(async (t) => (await message(t)).port))
  const counted = Promise.all(threads.map(async (t) => (await message(t)).bytes))
  process.send({ ports })
  await message(process)
  const since = process.cpuUsage()
  const bytes = (await counted).reduce((a, b) => a + b, 0)
  process.send({ bytes, cpu: cpuSeconds(since) }, () => process.exit(0))
} else {
  const [file, mode, cert, key, suites = '', connectionsText = '1'] = process.argv.slice(2)
  const connections = Number(connectionsText)
  const size = statSync(file).size
  const receiver = fork(self, ['--receive', mode, cert, key, suites, String(connections)])
  const { ports } = await message(receiver)
  const share = Math.ceil(size / connections / CHUNK) * CHUNK
  const senders = ports.map((port, i) => new Worker(self, { workerData: { role: 'send', mode, cert, key, suites, port, file, from: Math.min(size, i * share), to: Math.min(size, (i + 1) * share) } }))
  const [{ cipher }] = await Promise.all(senders.map(message))
  // The clock and both CPU counts start once every connection is up (as in the product, where they open ahead).
  receiver.send('go')
  const since = process.cpuUsage()
  const t0 = performance.now()
  const done = message(receiver)
  for (const sender of senders) sender.postMessage('go')
  const { bytes, cpu } = await done
  const seconds = (performance.now() - t0) / 1000
  if (bytes !== size) throw new Error(`the receiver counted ${bytes} bytes of ${size}`)
  console.log(`${seconds.toFixed(3)} ${cipher} ${cpuSeconds(since).toFixed(3)} ${cpu.toFixed(3)}`)
  process.exit(0)
}
