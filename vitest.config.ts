import { defineConfig } from 'vitest/config';

// Tests sit beside the code (src/**/x.test.ts). Real models run in them, so the
// default 5 s timeout is too tight on a 2-core machine; forks isolate native addons.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'web/src/**/*.test.ts'],
    pool: 'forks',
    // Text in tests is drawn with fonts from npm only (src/test-support/test-fonts.ts), never the host's.
    globalSetup: ['src/test-support/test-font-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
