// Peers of another protocol version refuse each other in the TLS handshake, by the ALPN name
// (docs/PROTOCOL.md §1.1): a device of protocol 4 offers `dropbox-sync/4`, ours `dropbox-sync/5`.
import { X509Certificate } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { certificateDeviceId } from '../../src/main/engine/identity/fingerprint'
import { makeSelfSigned } from '../../src/main/engine/identity/self-signed'
import { ALPN_PROTOCOL, acceptTls, dialTls, DialError } from '../../src/main/engine/net/tls'
import { PROTOCOL_VERSION } from '../../src/main/engine/protocol/constants'

const servers: Array<Server | TlsServer> = []
const sockets: Socket[] = []

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const server of servers.splice(0)) server.close()
})

async function listening(server: Server | TlsServer): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

describe('protocol version 5 in the TLS handshake', () => {
  it('is named by the ALPN', () => {
    expect(PROTOCOL_VERSION).toBe(5)
    expect(ALPN_PROTOCOL).toBe('dropbox-sync/5')
  })

  it('an acceptor refuses a device of protocol 4 before any frame: no secure connection on either side', async () => {
    const [server, old] = await Promise.all([makeSelfSigned('server'), makeSelfSigned('old')])
    let accepted = 0
    const port = await listening(
      createServer((raw) => {
        sockets.push(raw)
        acceptTls(raw, server, 5000, () => accepted++)
      }),
    )
    const socket = tlsConnect({ host: '127.0.0.1', port, cert: old.certPem, key: old.keyPem, minVersion: 'TLSv1.3', rejectUnauthorized: false, ALPNProtocols: ['dropbox-sync/4'] })
    sockets.push(socket)
    const outcome = await new Promise<string>((resolve) => {
      socket.once('secureConnect', () => resolve('secure'))
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`))
      socket.once('close', () => resolve('closed'))
    })
    expect(outcome).toBe('error ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL')
    expect(accepted).toBe(0)
  })

  it('an initiator dialling a device of protocol 4 reports not-dropbox-sync, naming the protocol it wants', async () => {
    const [old, client] = await Promise.all([makeSelfSigned('old'), makeSelfSigned('client')])
    const port = await listening(createTlsServer({ cert: old.certPem, key: old.keyPem, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['dropbox-sync/4'] }))
    const expectId = certificateDeviceId(new X509Certificate(old.certPem).raw)
    const error = await dialTls({ host: '127.0.0.1', port, credentials: client, expectId, timeoutMs: 5000 }).then(
      () => null,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(DialError)
    expect((error as DialError).code).toBe('not-dropbox-sync')
    expect((error as DialError).message).toBe(`127.0.0.1:${port} speaks TLS but not dropbox-sync/5: another version of dropbox-sync, or another program`)
  })
})
