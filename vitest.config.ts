import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Component tests (test/renderer) mount .vue files.
  plugins: [vue()],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/block-hash.ts', 'test/setup/temp-dirs.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and sockets; two cores: keep files from starving each other.
    maxWorkers: 2,
    env: { ELECTRON_OVERRIDE_DIST_PATH: '/nonexistent' },
  },
})
