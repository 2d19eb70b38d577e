// This install's identity: a key pair and a self-signed certificate in the config folder, made
// at first start and loaded the same ever after. Its device ID is the certificate's SHA-256, so
// replacing either file would make it another device: a damaged identity is refused, not remade.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { formatDeviceId } from '../../../shared/device-id'
import { writeFileAtomic } from '../folder/atomic-write'
import { withFileLock } from './file-lock'
import { certificateDeviceId } from './fingerprint'

export const KEY_FILE = 'device-key.pem'
export const CERT_FILE = 'device-cert.pem'
const LOCK_FILE = 'identity.lock'

export interface DeviceIdentity {
  certPem: string
  keyPem: string
  /** SHA-256 of the certificate's DER. */
  id: Buffer
  /** The ID as people read it (`XXXXXXX-…`, 8 groups). */
  idText: string
  /** True when this call made the identity. */
  created: boolean
  /** Something the user should be told (a key file whose mode was tightened). */
  notice?: string
}

/** One line naming the file at fault and what to do. */
export class IdentityError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message)
    this.name = 'IdentityError'
  }
}

export async function loadOrCreateIdentity(configDir: string): Promise<DeviceIdentity> {
  const dir = path.resolve(configDir)
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new IdentityError(`cannot use ${dir} as the config folder: ${(error as Error).message}`, dir)
  }
  const keyFile = path.join(dir, KEY_FILE)
  const certFile = path.join(dir, CERT_FILE)
  if ((await exists(keyFile)) && (await exists(certFile))) return load(keyFile, certFile)
  // Made under a lock: two processes starting at once must not make two devices.
  return withFileLock(path.join(dir, LOCK_FILE), async () => {
    const [hasKey, hasCert] = [await exists(keyFile), await exists(certFile)]
    if (hasKey && hasCert) return load(keyFile, certFile)
    if (hasKey !== hasCert) {
      const [missing, present] = hasKey ? [certFile, keyFile] : [keyFile, certFile]
      throw new IdentityError(
        `${missing} is missing beside ${present}: restore it, or delete ${present} too to make a new identity (a new device ID that members must accept again)`,
        missing,
      )
    }
    const { makeSelfSigned } = await import('./self-signed')
    const { certPem, keyPem } = await makeSelfSigned()
    // The key first: a certificate never lies about with no key to prove it.
    await writeFileAtomic(keyFile, keyPem, 0o600)
    await writeFileAtomic(certFile, certPem, 0o644)
    return { ...(await load(keyFile, certFile)), created: true }
  })
}

async function load(keyFile: string, certFile: string): Promise<DeviceIdentity> {
  const keyPem = await readText(keyFile)
  const certPem = await readText(certFile)
  let key: KeyObject
  try {
    key = createPrivateKey(keyPem)
  } catch {
    throw new IdentityError(`${keyFile} is not a private key (PEM); restore it from a backup, or delete it and ${CERT_FILE} to make a new identity`, keyFile)
  }
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch {
    throw new IdentityError(`${certFile} is not a certificate (PEM); restore it from a backup, or delete it and ${KEY_FILE} to make a new identity`, certFile)
  }
  if (!cert.checkPrivateKey(key)) {
    throw new IdentityError(`${certFile} does not belong to the key in ${keyFile}; restore the pair from a backup`, certFile)
  }
  const notice = await tightenKeyMode(keyFile)
  const id = certificateDeviceId(cert.raw)
  return { certPem, keyPem, id, idText: formatDeviceId(id), created: false, ...(notice ? { notice } : {}) }
}

/**
 * A key others could read is made owner-only rather than refused (as ssh would): the identity
 * stays usable after a restore that lost the mode, and the user is told, since it may have leaked.
 */
async function tightenKeyMode(keyFile: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined
  const mode = (await stat(keyFile)).mode & 0o777
  if ((mode & 0o077) === 0) return undefined
  await chmod(keyFile, 0o600)
  return `${keyFile} was readable by other users (mode ${mode.toString(8).padStart(4, '0')}); it is now 0600. If others use this machine, consider a new identity.`
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new IdentityError(`cannot read ${file}: ${(error as Error).message}`, file)
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new IdentityError(`cannot read ${file}: ${(error as Error).message}`, file)
  }
}
