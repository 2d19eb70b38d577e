// The sending half of the small-file floor (see receiver.mjs): indexes SRC (paths and SHA-256)
// before it prints its port, then serves share i of n to each connection that asks "i n\n":
// every n-th file from the i-th, read from disk on request, as [u32 name bytes][u32 data bytes]
// [32-byte SHA-256][name][data] records. No checks of any kind.
// usage: node sender.mjs SRC      prints: PORT
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'

const src = process.argv[2]
const files = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => {
    const rel = path.relative(src, path.join(entry.parentPath ?? entry.path, entry.name))
    return { rel, name: Buffer.from(rel), version: createHash('sha256').update(readFileSync(path.join(src, rel))).digest() }
  })

const server = net.createServer((socket) => {
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
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
