import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^geoadmit\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^geoadmit\/redis$/, replacement: here('./src/redis/index.ts') },
      { find: /^geoadmit\/http$/, replacement: here('./src/http/index.ts') },
      { find: /^geoadmit\/console$/, replacement: here('./src/console/index.ts') },
      { find: /^geoadmit\/janus$/, replacement: here('./src/janus/index.ts') },
      { find: /^geoadmit\/livekit$/, replacement: here('./src/livekit/index.ts') },
      { find: /^geoadmit\/ws$/, replacement: here('./src/ws/index.ts') },
      { find: /^geoadmit\/vitest$/, replacement: here('./src/vitest/index.ts') },
      { find: /^geoadmit\/audit$/, replacement: here('./src/audit/index.ts') },
      { find: /^geoadmit\/report$/, replacement: here('./src/report/index.ts') },
      { find: /^geoadmit\/mmdb$/, replacement: here('./src/mmdb/index.ts') },
      { find: /^geoadmit\/store$/, replacement: here('./src/store/index.ts') },
      { find: /^geoadmit$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
