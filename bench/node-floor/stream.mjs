// TLS's own cost in bare Node: one file streamed over loopback from this process to a receiver
// process that only counts the bytes, through plain TCP or mutual TLS 1.3 as the product uses it
// (each side's self-signed certificate, no CA). None of dropbox-sync's code runs: this is the
// floor any Node program pays for the same stream.
// usage: node stream.mjs FILE plain|tls CERT KEY [SUITES]      prints: SECONDS CIPHER
import { fork } from 'node:child_process'
import { openSync, readFileSync, readSync, closeSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'

const [file, mode, certFile, keyFile, suites] = process.argv.slice(2)
const tlsOptions = () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false, ...(suites ? { ciphers: suites } : {}) })

if (file === '--receive') {
  const onSocket = (socket) => {
    let bytes = 0
    socket.on('data', (chunk) => (bytes += chunk.length))
    socket.on('end', () => process.send({ bytes }, () => process.exit(0)))
  }
  const server = mode === 'tls' ? tls.createServer({ ...tlsOptions(), requestCert: true }, onSocket) : net.createServer(onSocket)
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
} else {
  const receiver = fork(new URL(import.meta.url).pathname, ['--receive', mode, certFile, keyFile, suites ?? ''])
  const { port } = await new Promise((resolve) => receiver.once('message', resolve))
  const t0 = performance.now()
  const socket = mode === 'tls' ? tls.connect({ ...tlsOptions(), host: '127.0.0.1', port }) : net.connect(port, '127.0.0.1')
  await new Promise((resolve, reject) => socket.once(mode === 'tls' ? 'secureConnect' : 'connect', resolve).once('error', reject))
  const fd = openSync(file, 'r')
  const CHUNK = 1 << 20
  for (let at = 0; ; at += CHUNK) {
    const buffer = Buffer.allocUnsafe(CHUNK)
    const n = readSync(fd, buffer, 0, CHUNK, at)
    if (n === 0) break
    if (!socket.write(n < CHUNK ? buffer.subarray(0, n) : buffer)) await new Promise((resolve) => socket.once('drain', resolve))
  }
  closeSync(fd)
  const cipher = mode === 'tls' ? socket.getCipher().name : 'none'
  socket.end()
  await new Promise((resolve) => receiver.once('message', resolve))
  console.log(`${((performance.now() - t0) / 1000).toFixed(3)} ${cipher}`)
}
