// Device identities for hand-written peers, made in memory (a real key and a real self-signed
// certificate, as the product makes them) and cached; and the member stores of the servers the
// tests start, so a test peer can be made a member before it says JOIN.
import { X509Certificate } from 'node:crypto'
import { makeSelfSigned } from '../../src/main/engine/identity/self-signed'
import { certificateDeviceId } from '../../src/main/engine/identity/fingerprint'
import { Membership } from '../../src/main/engine/identity/membership'
import { loadOrCreateIdentity } from '../../src/main/engine/identity/device-identity'
import { formatDeviceId } from '../../src/shared/device-id'
import type { TlsCredentials } from '../../src/main/engine/net/tls'
import { tempDir } from './temp'

export interface TestIdentity extends TlsCredentials {
  id: Buffer
  idText: string
  name: string
}

const spare: Promise<TestIdentity>[] = []

async function make(name: string): Promise<TestIdentity> {
  const { certPem, keyPem } = await makeSelfSigned()
  const id = certificateDeviceId(new X509Certificate(certPem).raw)
  return { certPem, keyPem, id, idText: formatDeviceId(id), name }
}

/** A device never seen before (each call another one); a few are made ahead. */
export async function newIdentity(name = 'test-peer'): Promise<TestIdentity> {
  while (spare.length < 4) spare.push(make('test-peer'))
  const identity = await spare.shift()!
  return { ...identity, name }
}

const named = new Map<string, Promise<TestIdentity>>()

/** The same device for the same key, for the whole test file. */
export function cachedIdentity(key: string): Promise<TestIdentity> {
  let identity = named.get(key)
  if (!identity) named.set(key, (identity = make(key)))
  return identity
}

/** Member stores by the port of the server that uses them. */
const stores = new Map<number, string>()

/** A fresh config folder for a server under test, and its identity (made now). */
export async function serverConfig(): Promise<{ configDir: string; id: Buffer }> {
  const configDir = tempDir('dbs-server-config-')
  const identity = await loadOrCreateIdentity(configDir)
  return { configDir, id: identity.id }
}

/** Remembers whose member store a port's server keeps, for makeMember. */
export function knowServer(port: number, configDir: string): void {
  stores.set(port, configDir)
}

export function storeOf(port: number): string | undefined {
  return stores.get(port)
}

/** Adds the device to the member store of the server at `port` (or in `configDir`). */
export async function makeMember(where: number | string, identity: { id: Uint8Array; name: string }): Promise<void> {
  const configDir = typeof where === 'string' ? where : stores.get(where)
  if (!configDir) throw new Error(`no member store known for the server at port ${String(where)}`)
  const membership = await Membership.open(configDir)
  await membership.add(identity.id, identity.name)
}
