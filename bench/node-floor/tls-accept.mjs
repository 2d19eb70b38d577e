// What a thousand mutual-TLS connections cost bare Node (the registry bench's floor): accepts TLS
// 1.3 as the registry does (its certificate, a certificate asked of the peer and not judged by a
// CA, the product's ALPN and suites), reads each peer's certificate, and holds the connection.
// None of dropbox-sync's code runs. The bench reads this process's CPU and memory from /proc.
// usage: node tls-accept.mjs CERT KEY ALPN SUITES        prints: {"port":N} once listening
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'

const [certFile, keyFile, alpn, suites] = process.argv.slice(2)
const held = new Set()
const server = tls.createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suites, requestCert: true, rejectUnauthorized: false, ALPNProtocols: [alpn] },
  (socket) => {
    // The pin every product connection checks: the SHA-256 of the peer's certificate.
    createHash('sha256').update(socket.getPeerX509Certificate().raw).digest()
    held.add(socket)
    socket.on('data', () => {})
    socket.on('error', () => socket.destroy())
    socket.once('close', () => held.delete(socket))
  },
)
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
