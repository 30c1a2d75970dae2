/** Jest: TypeScript through ts-jest in transpile-only mode (tsconfig isolatedModules); `npm run typecheck` type-checks. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
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
