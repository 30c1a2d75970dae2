#!/usr/bin/env node
// The `rollout` CLI: runs the TypeScript sources through tsx (no build step).
require('tsx/cjs');
require('../pipeline/cli/main.ts');
