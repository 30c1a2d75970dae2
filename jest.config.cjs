/** Jest: TypeScript through ts-jest in transpile-only mode (tsconfig isolatedModules); `npm run typecheck` type-checks. */
// The SDK warns once per process that it will need Node 22 from 2027; tests run on Node 20 (Lambda runs
// nodejs22.x), and the warning would repeat in every worker's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Quiet passing runs: expected errors are asserted by the tests that cause them, not printed.
  setupFiles: ['<rootDir>/test/setup/quiet-logs.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        tsconfig: {
          isolatedModules: true,
          module: 'commonjs',
          moduleResolution: 'node10',
          esModuleInterop: true,
          resolveJsonModule: true,
          jsx: 'react-jsx',
          jsxImportSource: 'preact',
          target: 'ES2022',
        },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'cjs', 'json'],
  testTimeout: 30000,
  // Two workers on CI's 2 cores: most suites wait on local-cloud I/O, so a second worker cuts the run by a third.
  maxWorkers: 2,
};
