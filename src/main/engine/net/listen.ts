// Opens a TCP listener. With no host it listens on every interface, IPv6 and IPv4 (dual stack),
// falling back to IPv4 only where the machine has no IPv6.
import { createServer, type Server, type Socket } from 'node:net'

export interface Listening {
  server: Server
  host: string
  port: number
}

export async function listen(onSocket: (socket: Socket) => void, port: number, host?: string): Promise<Listening> {
  const hosts = host ? [host] : ['::', '0.0.0.0']
  let lastError: unknown
  for (const candidate of hosts) {
    const server = createServer({ noDelay: true }, onSocket)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port, host: candidate, backlog: 4096 }, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('listener has no TCP address')
      return { server, host: candidate, port: address.port }
    } catch (error) {
      lastError = error
      server.close()
      const code = (error as NodeJS.ErrnoException).code
      if (host || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) break
    }
  }
  throw lastError
}

/**
 * When a listen failed because of its port, how: taken, or not this user's to take. Null for any
 * other error (an EACCES while making a folder is not about the port).
 */
export function portProblem(error: unknown): 'in-use' | 'denied' | null {
  const err = error as NodeJS.ErrnoException
  if (err.syscall !== 'listen' && err.syscall !== 'bind') return null
  return err.code === 'EADDRINUSE' ? 'in-use' : err.code === 'EACCES' ? 'denied' : null
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}
