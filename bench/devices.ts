// Devices for the benchmarks that speak the protocol themselves (bench/registry.ts, bench/ui.ts).
// Each is a device of its own, as protocol 4 wants (one registration per device): its own key
// and self-signed certificate, made the product's way (identity/self-signed.ts), with its secure
// context built ahead, so neither costs anything once the clock runs. They are made members of
// a server by one write of its member store before the server starts, and they dial it with
// mutual TLS, pinning its device ID as a client does.
import { X509Certificate } from 'node:crypto'
import path from 'node:path'
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls'
import { writeFileAtomic } from '../src/main/engine/folder/atomic-write'
import { certificateDeviceId, peerDeviceId } from '../src/main/engine/identity/fingerprint'
import { MEMBERS_FILE, readMembers } from '../src/main/engine/identity/membership-files'
import { makeSelfSigned } from '../src/main/engine/identity/self-signed'
import { ALPN_PROTOCOL } from '../src/main/engine/net/tls'

export interface BenchDevice {
  id: Buffer
  name: string
  context: SecureContext
}

/** Made this many at a time: key generation and signing run on libuv's threads. */
const MAKE_AT_ONCE = 64

/** `count` devices named `prefix-0` …, and how long making them took (ms). */
export async function makeDevices(count: number, prefix: string): Promise<{ devices: BenchDevice[]; ms: number }> {
  const t0 = performance.now()
  const devices: BenchDevice[] = []
  for (let from = 0; from < count; from += MAKE_AT_ONCE) {
    const made = await Promise.all(
      Array.from({ length: Math.min(MAKE_AT_ONCE, count - from) }, async (_, i) => {
        const { certPem, keyPem } = await makeSelfSigned(`${prefix}-${from + i}`)
        return {
          id: certificateDeviceId(new X509Certificate(certPem).raw),
          name: `${prefix}-${from + i}`,
          context: createSecureContext({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }),
        }
      }),
    )
    devices.push(...made)
  }
  return { devices, ms: performance.now() - t0 }
}

/**
 * Makes the devices members in the server's config folder, in one write (Membership.add writes
 * the store once per device, under its lock: minutes for a thousand). Only while no server or
 * CLI uses the folder: call it before the server starts.
 */
export async function addMembers(configDir: string, devices: BenchDevice[]): Promise<void> {
  const file = readMembers(configDir)
  const added = new Date().toISOString()
  const known = new Set(file.members.map((member) => member.id))
  for (const device of devices) {
    const id = device.id.toString('hex')
    if (!known.has(id)) file.members.push({ id, name: device.name, added, state: 'member' })
    known.add(id)
  }
  await writeFileAtomic(path.join(configDir, MEMBERS_FILE), `${JSON.stringify(file, null, 2)}\n`, 0o600)
}

/**
 * Dials the server as `device`; `secure` runs once TLS is done and the server proved `serverId`.
 * Anything else (another device answered, no ALPN, a TLS failure) throws: a bench must not
 * measure a connection that is not the real thing.
 */
export function dial(port: number, serverId: Buffer, device: BenchDevice, secure: (socket: TLSSocket) => void): TLSSocket {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    secureContext: device.context,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    rejectUnauthorized: false,
    ALPNProtocols: [ALPN_PROTOCOL],
    servername: '',
  })
  socket.setNoDelay(true)
  socket.once('secureConnect', () => {
    const id = peerDeviceId(socket)
    if (socket.alpnProtocol !== ALPN_PROTOCOL || !id?.equals(serverId)) {
      socket.destroy()
      throw new Error(`${device.name}: the server at port ${port} is not the device expected (ALPN ${String(socket.alpnProtocol)})`)
    }
    secure(socket)
  })
  return socket
}
