// Every test file may compute versions synchronously (test helpers, engine objects built
// directly): the block hash is loaded once per test worker before any of them runs.
import { beforeAll } from 'vitest'
import { loadBlockHash } from '../../src/main/engine/blocks/block-hash'

beforeAll(async () => {
  await loadBlockHash()
})
