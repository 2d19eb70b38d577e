// A device's identity on disk: made once, loaded the same ever after, kept private, refused
// loudly (never replaced) when damaged, and usable as is for mutual TLS 1.3.
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { X509Certificate, createHash } from 'node:crypto'
import path from 'node:path'
import tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { IdentityError, loadOrCreateIdentity, type DeviceIdentity } from '../../src/main/engine/identity/device-identity'
import { formatDeviceId, parseDeviceId } from '../../src/shared/device-id'
import { removeTempDirs, tempDir } from '../helpers/temp'

afterEach(() => removeTempDirs())

const mode = (file: string): number => statSync(file).mode & 0o777

describe('loadOrCreateIdentity', () => {
  it('makes a key and a certificate at first start, in a config folder it makes owner-only', async () => {
    const configDir = path.join(tempDir(), 'config', 'nested')
    const identity = await loadOrCreateIdentity(configDir)
    expect(identity.created).toBe(true)
    expect(mode(configDir)).toBe(0o700)
    expect(mode(path.join(configDir, 'device-key.pem'))).toBe(0o600)
    expect(readFileSync(path.join(configDir, 'device-cert.pem'), 'utf8')).toBe(identity.certPem)
    expect(readFileSync(path.join(configDir, 'device-key.pem'), 'utf8')).toBe(identity.keyPem)
    const cert = new X509Certificate(identity.certPem)
    expect(cert.subject).toBe('CN=dropbox-sync')
    expect(cert.issuer).toBe('CN=dropbox-sync')
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(new Date(cert.validTo).getUTCFullYear() - new Date(cert.validFrom).getUTCFullYear()).toBe(20)
    expect(identity.id).toEqual(createHash('sha256').update(cert.raw).digest())
    expect(identity.idText).toBe(formatDeviceId(identity.id))
    // No temp files left beside them.
    expect(existsSync(path.join(configDir, 'identity.lock'))).toBe(false)
  })

  it('loads the same identity at every later start', async () => {
    const configDir = tempDir()
    const first = await loadOrCreateIdentity(configDir)
    const second = await loadOrCreateIdentity(configDir)
    expect(second.created).toBe(false)
    expect(second.idText).toBe(first.idText)
    expect(second.keyPem).toBe(first.keyPem)
  })

  it('two processes starting at once end with one identity', async () => {
    const configDir = tempDir()
    const all = await Promise.all([loadOrCreateIdentity(configDir), loadOrCreateIdentity(configDir), loadOrCreateIdentity(configDir)])
    expect(new Set(all.map((identity) => identity.idText)).size).toBe(1)
    expect(all.filter((identity) => identity.created)).toHaveLength(1)
  })

  it('makes each install a different device', async () => {
    const a = await loadOrCreateIdentity(tempDir())
    const b = await loadOrCreateIdentity(tempDir())
    expect(a.idText).not.toBe(b.idText)
  })

  it('tightens a key file others can read to 0600, and says so', async () => {
    const configDir = tempDir()
    await loadOrCreateIdentity(configDir)
    const keyFile = path.join(configDir, 'device-key.pem')
    chmodSync(keyFile, 0o644)
    const identity = await loadOrCreateIdentity(configDir)
    expect(mode(keyFile)).toBe(0o600)
    expect(identity.notice).toMatch(/device-key\.pem was readable by other users.*now 0600/)
    expect((await loadOrCreateIdentity(configDir)).notice).toBeUndefined()
  })

  describe('a damaged identity is one clear error naming the file, and is never replaced', () => {
    async function damaged(damage: (configDir: string) => void): Promise<{ error: IdentityError; configDir: string; before: string[] }> {
      const configDir = tempDir()
      await loadOrCreateIdentity(configDir)
      damage(configDir)
      const before = ['device-key.pem', 'device-cert.pem'].map((name) => (existsSync(path.join(configDir, name)) ? readFileSync(path.join(configDir, name), 'utf8') : ''))
      const error = await loadOrCreateIdentity(configDir).then(
        () => expect.fail('loaded a damaged identity'),
        (e: unknown) => e as IdentityError,
      )
      const after = ['device-key.pem', 'device-cert.pem'].map((name) => (existsSync(path.join(configDir, name)) ? readFileSync(path.join(configDir, name), 'utf8') : ''))
      expect(after).toEqual(before)
      expect(error).toBeInstanceOf(IdentityError)
      expect(error.message).not.toContain('\n')
      return { error, configDir, before }
    }

    it('a key file that is not a key', async () => {
      const { error, configDir } = await damaged((dir) => writeFileSync(path.join(dir, 'device-key.pem'), 'not a key\n'))
      expect(error.message).toContain(path.join(configDir, 'device-key.pem'))
      expect(error.message).toMatch(/is not a private key/)
      expect(error.file).toBe(path.join(configDir, 'device-key.pem'))
    })

    it('a certificate file that is not a certificate', async () => {
      const { error, configDir } = await damaged((dir) => writeFileSync(path.join(dir, 'device-cert.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))
      expect(error.message).toContain(path.join(configDir, 'device-cert.pem'))
      expect(error.message).toMatch(/is not a certificate/)
    })

    it("another device's certificate beside this key", async () => {
      const other = await loadOrCreateIdentity(tempDir())
      const { error, configDir } = await damaged((dir) => writeFileSync(path.join(dir, 'device-cert.pem'), other.certPem))
      expect(error.message).toContain(path.join(configDir, 'device-cert.pem'))
      expect(error.message).toMatch(/does not belong to the key/)
    })

    it('a key without its certificate', async () => {
      const { error, configDir } = await damaged((dir) => rmSync(path.join(dir, 'device-cert.pem')))
      expect(error.message).toContain(path.join(configDir, 'device-cert.pem'))
      expect(error.message).toMatch(/is missing/)
    })

    it('a certificate without its key', async () => {
      const { error, configDir } = await damaged((dir) => rmSync(path.join(dir, 'device-key.pem')))
      expect(error.message).toContain(path.join(configDir, 'device-key.pem'))
      expect(error.message).toMatch(/is missing/)
    })
  })

  it('a config path that is a file is one clear error', async () => {
    const file = path.join(tempDir(), 'file')
    writeFileSync(file, '')
    await expect(loadOrCreateIdentity(file)).rejects.toThrow(IdentityError)
  })
})

describe('the identity in mutual TLS 1.3', () => {
  async function handshake(server: DeviceIdentity, client: DeviceIdentity): Promise<{ seenByServer: Buffer; seenByClient: Buffer; protocol: string | null }> {
    let serverSide!: tls.TLSSocket
    const accepted = new Promise<Buffer>((resolve, reject) => {
      const listener = tls.createServer(
        { cert: server.certPem, key: server.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
        (socket) => {
          serverSide = socket
          resolve(createHash('sha256').update(socket.getPeerCertificate().raw).digest())
          socket.end()
          listener.close()
        },
      )
      listener.on('error', reject)
      listener.listen(0, '127.0.0.1', () => connect((listener.address() as { port: number }).port))
    })
    let seenByClient!: Promise<{ fingerprint: Buffer; protocol: string | null }>
    function connect(port: number): void {
      seenByClient = new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, cert: client.certPem, key: client.keyPem, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, () => {
          resolve({ fingerprint: createHash('sha256').update(socket.getPeerCertificate().raw).digest(), protocol: socket.getProtocol() })
          socket.on('data', () => {})
          socket.on('end', () => socket.end())
        })
        socket.on('error', reject)
      })
    }
    const seenByServer = await accepted
    const { fingerprint, protocol } = await seenByClient
    serverSide.destroy()
    return { seenByServer, seenByClient: fingerprint, protocol }
  }

  it("each side sees the other's device ID as the fingerprint of its certificate", async () => {
    const server = await loadOrCreateIdentity(tempDir())
    const client = await loadOrCreateIdentity(tempDir())
    const { seenByServer, seenByClient, protocol } = await handshake(server, client)
    expect(protocol).toBe('TLSv1.3')
    expect(seenByServer).toEqual(client.id)
    expect(seenByClient).toEqual(server.id)
    expect(Buffer.from(parseDeviceId(client.idText).bytes!)).toEqual(seenByServer)
  })
})
