// The block hash (BLAKE3, 32 bytes): every block of a file and a file's version are this hash.
// The native N-API build where the platform has one (prebuilt, no compiler needed; Electron loads
// it too), else the same function in WebAssembly: slower, the same digest. Only this module knows
// which library it is, so the hash can be swapped in one place.
import { createRequire } from 'node:module'

export const BLOCK_HASH_BYTES = 32

export type BlockHashEngine = 'native' | 'wasm'

type HashFn = (data: Uint8Array) => Buffer

/** A hash fed in pieces: a block that arrives in several frames or reads. */
export interface BlockHasher {
  update(data: Uint8Array): void
  digest(): Buffer
}

let loaded: { engine: BlockHashEngine; hash: HashFn; incremental: () => BlockHasher } | null = null
let loading: Promise<BlockHashEngine> | null = null

const asBuffer = (data: Uint8Array): Buffer => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))

type NativeBinding = typeof import('@napi-rs/blake-hash')

/**
 * Required, not imported: an import() of this CommonJS package goes through Node's ES module
 * translation, which first lexes its whole loader for its exports, in every thread that hashes.
 */
function nativeBinding(): NativeBinding {
  return createRequire(import.meta.url)('@napi-rs/blake-hash') as NativeBinding
}

/**
 * The digest comes back as text and is decoded into a Buffer of Node's own: a Buffer the binding
 * makes is external memory with a finalizer, which costs more than hashing a small file.
 */
function native(): HashFn {
  const { blake3UrlSafeBase64 } = nativeBinding()
  return (data) => Buffer.from(blake3UrlSafeBase64(asBuffer(data)), 'base64url')
}

function nativeIncremental(): () => BlockHasher {
  const { Blake3Hasher } = nativeBinding()
  return () => {
    const hasher = new Blake3Hasher()
    return {
      update: (data) => void hasher.update(asBuffer(data)),
      digest: () => hasher.digestBuffer(),
    }
  }
}

/**
 * hash-wasm makes a hasher only asynchronously: the fallback gathers a block's pieces and hashes
 * them at once (a copy per split block; the fallback is the slow path anyway).
 */
function gathering(hash: HashFn): () => BlockHasher {
  return () => {
    const pieces: Buffer[] = []
    return {
      update: (data) => void pieces.push(Buffer.from(data)),
      digest: () => hash(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)),
    }
  }
}

async function wasm(): Promise<HashFn> {
  const { createBLAKE3 } = await import('hash-wasm')
  const hasher = await createBLAKE3(256)
  return (data) => {
    hasher.init()
    hasher.update(data)
    return Buffer.from(hasher.digest('binary'))
  }
}

/** One of the two, as asked: the tests hold them to the same digests. */
export function hashWith(engine: BlockHashEngine): Promise<HashFn> {
  return engine === 'native' ? Promise.resolve().then(native) : wasm()
}

/**
 * Loads the hash once per thread (each worker thread too) and says which it got. `prefer` 'wasm'
 * skips the native build (DBS_BLOCK_HASH=wasm does the same, to try the fallback).
 */
export function loadBlockHash(prefer: BlockHashEngine = process.env['DBS_BLOCK_HASH'] === 'wasm' ? 'wasm' : 'native'): Promise<BlockHashEngine> {
  loading ??= (async () => {
    if (prefer === 'native') {
      try {
        loaded = { engine: 'native', hash: native(), incremental: nativeIncremental() }
        return 'native'
      } catch {
        // No build for this platform: the WebAssembly one computes the same digest.
      }
    }
    const hash = await wasm()
    loaded = { engine: 'wasm', hash, incremental: gathering(hash) }
    return 'wasm'
  })()
  return loading
}

/** The hash of `data`; loadBlockHash() must have resolved in this thread first. */
export function blockHash(data: Uint8Array): Buffer {
  if (!loaded) throw new Error('the block hash is not loaded yet: await loadBlockHash() first')
  return loaded.hash(data)
}

/** A hasher for one block fed in pieces; loadBlockHash() must have resolved in this thread first. */
export function createBlockHasher(): BlockHasher {
  if (!loaded) throw new Error('the block hash is not loaded yet: await loadBlockHash() first')
  return loaded.incremental()
}

/** For a thread that cannot go on without the hash (neither build loads): fails it visibly. */
export function crash(error: unknown): void {
  process.nextTick(() => {
    throw error
  })
}
