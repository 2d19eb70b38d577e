// The least a Node program built like dropbox-sync's receiver can take for many small files: a
// process started on the clock, N worker threads that each open their own connection to the
// sender and take their share, check each file's SHA-256, write it to a temp file beside its
// final path and rename it into place. Nothing else: no registry, no index, no manifest, no
// events, no path or peer checks. The benchmark times it from its spawn to its exit next to rsync.
// With CERT and KEY each connection is mutual TLS 1.3 with those (self-signed, no CA), as
// dropbox-sync's are: what TLS alone adds to the floor.
// usage: node receiver.mjs PORT DST WORKERS [CERT KEY SUITES]
import { takeShare } from './take-share.mjs'
import { isMainThread, Worker, workerData } from 'node:worker_threads'

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
  const socket = takeShare(workerData)
  socket.on('end', () => socket.destroy())
}
