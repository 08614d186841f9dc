import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The backend a test gets when it selects none: the reference (the specification). Tests of
    // other backends select them explicitly (test/backends.ts); test/wasm/auto.test.ts unsets it.
    env: { HANDGRAD_BACKEND: 'ref' },
  },
});
