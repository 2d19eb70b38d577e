// Whether an address answers HTTP: asked only after a dial found no TLS there, to tell a web
// server's port (a wrong address, said once) from anything else.
import { connect } from 'node:net'

/** A plain HEAD request; false on silence or anything that is not an HTTP status line. */
export function answersHttp(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let got = ''
    const done = (yes: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(yes)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.on('error', () => done(false))
    socket.on('close', () => done(/^HTTP\/\d/.test(got)))
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      if (got.length >= 5) done(/^HTTP\/\d/.test(got))
    })
    socket.once('connect', () => socket.write(`HEAD / HTTP/1.0\r\nHost: ${host}\r\n\r\n`))
  })
}
