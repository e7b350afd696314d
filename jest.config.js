// Three tiers (see docs/ARCHITECTURE.md), and the lint rules' proofs (test/lint): unit specs beside the code, medium tests on real
// PostgreSQL, e2e tests against the whole app. `npm test` runs them all in band
// because the medium and e2e tiers share one database, prepared once by
// test/global-setup.ts.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
// onnxruntime-node checks `instanceof Float32Array` across V8 realms; this environment shares the
// main realm's typed arrays with the tests (see the file's comment).
const common = {
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: '<rootDir>/src/ml/onnx/ort-jest-environment.js',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    // The lint rules' own proofs (a wrong import is refused); each runs ESLint in a child process.
    { ...common, displayName: 'lint', testMatch: ['<rootDir>/test/lint/**/*.spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/helpers/slow-timeout.ts'] },
    { ...common, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/helpers/slow-timeout.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'], setupFilesAfterEnv: ['<rootDir>/test/helpers/slow-timeout.ts'] },
  ],
};
