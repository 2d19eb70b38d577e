// The receiving half of the running floor (see watch-sender.mjs): N worker threads, each with its
// own connection, as ours has; each record's SHA-256 checked, written to a temp file beside its
// final path and renamed into place, as receiver.mjs does. After each chunk of records the main
// thread prints how many distinct paths all of them have placed so far, for the bench to wait on.
// usage: node watch-receiver.mjs PORT DST WORKERS [CERT KEY SUITES]      prints: FILES (again and again)
import { takeShare } from './take-share.mjs'
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
  takeShare(workerData, (names) => parentPort.postMessage(names)).on('close', () => process.exit(0))
}
