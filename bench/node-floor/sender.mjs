// The sending half of the small-file floor (see receiver.mjs): indexes SRC (paths and SHA-256)
// before it prints its port, then serves share i of n to each connection that asks "i n\n":
// every n-th file from the i-th, read from disk on request, as [u32 name bytes][u32 data bytes]
// [32-byte SHA-256][name][data] records. No checks of any kind.
// With CERT and KEY it listens for mutual TLS 1.3 instead (see receiver.mjs).
// usage: node sender.mjs SRC [CERT KEY SUITES]      prints: PORT
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'

const [src, cert, key, suites] = process.argv.slice(2)
const files = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => {
    const rel = path.relative(src, path.join(entry.parentPath ?? entry.path, entry.name))
    return { rel, name: Buffer.from(rel), version: createHash('sha256').update(readFileSync(path.join(src, rel))).digest() }
  })

const serve = (socket) => {
  socket.once('data', (ask) => {
    const [share, shares] = ask.toString().trim().split(' ').map(Number)
    let parts = []
    for (let i = share; i < files.length; i += shares) {
      const file = files[i]
      const data = readFileSync(path.join(src, file.rel))
      const head = Buffer.allocUnsafe(8)
      head.writeUInt32BE(file.name.length, 0)
      head.writeUInt32BE(data.length, 4)
      parts.push(head, file.version, file.name, data)
      if (parts.length >= 128) {
        socket.write(Buffer.concat(parts))
        parts = []
      }
    }
    socket.end(Buffer.concat(parts))
  })
}
const server = cert
  ? tls.createServer({ cert: readFileSync(cert), key: readFileSync(key), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(suites ? { ciphers: suites } : {}) }, serve)
  : net.createServer(serve)
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
