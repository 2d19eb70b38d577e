// The block hash (BLAKE3, 32 bytes): every block of a file and a file's version are this hash.
// The native N-API build where the platform has one (prebuilt, no compiler needed; Electron loads
// it too), else the same function in WebAssembly: slower, the same digest. Only this module knows
// which library it is, so the hash can be swapped in one place.

export const BLOCK_HASH_BYTES = 32

export type BlockHashEngine = 'native' | 'wasm'

type HashFn = (data: Uint8Array) => Buffer

let loaded: { engine: BlockHashEngine; hash: HashFn } | null = null
let loading: Promise<BlockHashEngine> | null = null

async function native(): Promise<HashFn> {
  const { blake3 } = await import('@napi-rs/blake-hash')
  return (data) => blake3(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
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
  return engine === 'native' ? native() : wasm()
}

/**
 * Loads the hash once per thread (each worker thread too) and says which it got. `prefer` 'wasm'
 * skips the native build (DBS_BLOCK_HASH=wasm does the same, to try the fallback).
 */
export function loadBlockHash(prefer: BlockHashEngine = process.env['DBS_BLOCK_HASH'] === 'wasm' ? 'wasm' : 'native'): Promise<BlockHashEngine> {
  loading ??= (async () => {
    if (prefer === 'native') {
      try {
        loaded = { engine: 'native', hash: await native() }
        return 'native'
      } catch {
        // No build for this platform: the WebAssembly one computes the same digest.
      }
    }
    loaded = { engine: 'wasm', hash: await wasm() }
    return 'wasm'
  })()
  return loading
}

/** The hash of `data`; loadBlockHash() must have resolved in this thread first. */
export function blockHash(data: Uint8Array): Buffer {
  if (!loaded) throw new Error('the block hash is not loaded yet: await loadBlockHash() first')
  return loaded.hash(data)
}
