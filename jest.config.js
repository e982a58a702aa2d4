/**
 * One jest run for every tier, told apart by suffix: *.unit.spec.ts (pure), *.int.spec.ts (real
 * Postgres and NATS), *.e2e.spec.ts (the apps booted, over HTTP and NATS). No --passWithNoTests:
 * finding no tests is a failure.
 */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  // @im/stack is the e2e harness (tools/testing: it boots the apps, so it is not a lib); the rest are libs.
  moduleNameMapper: { '^@im/stack$': '<rootDir>/tools/testing/index.ts', '^@im/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 60_000,
};
