// The least a Node program shaped like dropbox-sync's sender can do for files made in a folder it
// already shares: one fs.watch (inotify) per folder, as ours; the paths each event names, gathered
// until the next turn of the event loop; each new folder watched, then read; each file lstat-ed,
// read whole, hashed (SHA-256) and pushed to the receiver as [u32 name bytes][u32 data bytes]
// [32-byte SHA-256][name][data] records (the format of sender.mjs), on the same thread, over the
// receiver's connections in turn (one per receiving thread, as ours has a connection per worker;
// each says "i n\n" first, and the watch starts once all n are in). Nothing else: no index kept on disk, no settle, no request from the receiver,
// no path or link checks, no ignore rules. A file whose size, mtime and inode are as last sent is
// not sent again; a file seen empty is taken for one being made and waits for its next event
// (enough for the bench, whose cp writes each 4 KiB file in one call).
// With CERT and KEY it listens for mutual TLS 1.3 instead (see receiver.mjs).
// usage: node watch-sender.mjs SRC [CERT KEY SUITES]      prints: PORT
import { hash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, watch } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'

const [src, cert, key, suites] = process.argv.slice(2)
const watched = new Set()
const sent = new Map()
const dirty = new Set()
const sockets = []
let connected = 0
let turn = 0
let flushing = false

const note = (rel) => {
  dirty.add(rel)
  if (!flushing) (flushing = true), setImmediate(flush)
}

const watchFolder = (rel) => {
  if (watched.has(rel)) return
  watched.add(rel)
  watch(path.join(src, rel), (_event, name) => name && note(rel ? `${rel}/${name}` : name))
  for (const entry of readdirSync(path.join(src, rel))) note(rel ? `${rel}/${entry}` : entry)
}

const flush = () => {
  flushing = false
  const parts = sockets.map(() => [])
  for (const rel of dirty) {
    dirty.delete(rel)
    const stats = lstatSync(path.join(src, rel), { throwIfNoEntry: false })
    if (!stats) continue
    if (stats.isDirectory()) {
      watchFolder(rel)
      continue
    }
    if (!stats.isFile() || stats.size === 0) continue
    const last = sent.get(rel)
    if (last && last.size === stats.size && last.mtimeMs === stats.mtimeMs && last.ino === stats.ino) continue
    sent.set(rel, stats)
    const data = readFileSync(path.join(src, rel))
    const name = Buffer.from(rel)
    const head = Buffer.allocUnsafe(8)
    head.writeUInt32BE(name.length, 0)
    head.writeUInt32BE(data.length, 4)
    const to = turn++ % sockets.length
    parts[to].push(head, hash('sha256', data, 'buffer'), name, data)
    if (parts[to].length >= 128) sockets[to].write(Buffer.concat(parts[to].splice(0)))
  }
  parts.forEach((list, i) => list.length && sockets[i].write(Buffer.concat(list)))
}

const serve = (socket) => {
  socket.on('error', () => process.exit(0))
  socket.once('data', (ask) => {
    const [share, shares] = ask.toString().trim().split(' ').map(Number)
    sockets[share] = socket
    if (++connected === shares) watchFolder('')
  })
}
const server = cert
  ? tls.createServer({ cert: readFileSync(cert), key: readFileSync(key), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(suites ? { ciphers: suites } : {}) }, serve)
  : net.createServer(serve)
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
