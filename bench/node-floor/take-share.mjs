// One receiving thread of the floors (receiver.mjs, watch-receiver.mjs): its own connection to the
// sender, asking for its share; each record's SHA-256 checked, written to a temp file beside its
// final path and renamed into place. `placed` hears the names of each chunk's records.
// Records: u32 name bytes, u32 data bytes, 32-byte SHA-256, name, data.
import { hash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import path from 'node:path'

export function takeShare({ port, dst, share, shares, cert, key, suites }, placed) {
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
      if (placed) names.push(name)
      at = end
    }
    pending = pending.subarray(at)
    if (names.length) placed(names)
  })
  return socket
}
