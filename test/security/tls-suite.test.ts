// Which TLS 1.3 suite two dropbox-sync devices agree on (net/tls.ts TLS13_SUITES): AES-128-GCM,
// and a peer whose TLS library offers only another suite (BoringSSL orders its own) still gets in.
import { X509Certificate } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { certificateDeviceId } from '../../src/main/engine/identity/fingerprint'
import { makeSelfSigned } from '../../src/main/engine/identity/self-signed'
import { ALPN_PROTOCOL, acceptTls, dialTls } from '../../src/main/engine/net/tls'

const servers: Server[] = []
const sockets: Socket[] = []

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const server of servers.splice(0)) server.close()
})

/** A listener that wraps every connection as the product's acceptor does; `accepted` gets each. */
async function acceptor(credentials: { certPem: string; keyPem: string }, accepted: (socket: TLSSocket) => void): Promise<number> {
  const server = createServer((raw) => {
    sockets.push(raw)
    acceptTls(raw, credentials, 5000, (socket) => accepted(socket))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

describe('the TLS 1.3 suite', () => {
  it('is AES-128-GCM between two devices, on both sides', async () => {
    const [server, client] = await Promise.all([makeSelfSigned('server'), makeSelfSigned('client')])
    let acceptorSide!: (name: string) => void
    const acceptorCipher = new Promise<string>((resolve) => (acceptorSide = resolve))
    const port = await acceptor(server, (socket) => acceptorSide(socket.getCipher().name))
    const socket = await dialTls({ host: '127.0.0.1', port, credentials: client, expectId: certificateDeviceId(new X509Certificate(server.certPem).raw), timeoutMs: 5000 })
    sockets.push(socket)
    expect(socket.getCipher().name).toBe('TLS_AES_128_GCM_SHA256')
    expect(await acceptorCipher).toBe('TLS_AES_128_GCM_SHA256')
  })

  it('lets in a peer that offers only AES-256-GCM', async () => {
    const [server, client] = await Promise.all([makeSelfSigned('server'), makeSelfSigned('client')])
    let acceptorSide!: (name: string) => void
    const acceptorCipher = new Promise<string>((resolve) => (acceptorSide = resolve))
    const port = await acceptor(server, (socket) => acceptorSide(socket.getCipher().name))
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      cert: client.certPem,
      key: client.keyPem,
      minVersion: 'TLSv1.3',
      ciphers: 'TLS_AES_256_GCM_SHA384',
      rejectUnauthorized: false,
      ALPNProtocols: [ALPN_PROTOCOL],
    })
    sockets.push(socket)
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
    expect(socket.getCipher().name).toBe('TLS_AES_256_GCM_SHA384')
    expect(await acceptorCipher).toBe('TLS_AES_256_GCM_SHA384')
  })
})
