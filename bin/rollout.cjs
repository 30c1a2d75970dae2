#!/usr/bin/env node
// The `rollout` CLI: runs the TypeScript sources through tsx (no build step), with both of its hooks as
// the tsx command registers them: CommonJS for the sources, ESM for their dynamic import() (the local
// cloud is loaded lazily).
require('tsx/cjs');
import('tsx/esm').then(
  () => require('../pipeline/cli/main.ts'),
  (error) => {
    process.stderr.write(
      `rollout: cannot load tsx: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(5);
  },
);
