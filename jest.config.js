// One test runner for the whole repository. The tier is in the file name:
//   *.unit.spec.ts  pure code, no services
//   *.int.spec.ts   real PostgreSQL, Redis, Kafka (started by infra/ scripts)
//   *.e2e.spec.ts   real browser or the whole system
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
  },
];

const common = {
  testEnvironment: '<rootDir>/tools/jest/node-environment.js',
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.next/'],
  // PGlite loads its runtime with import(), which Jest's VM refuses without --experimental-vm-modules;
  // compiling the package with swc turns that into require().
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)'],
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.cjs$': swc },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.unit.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs,e2e}/**/*.e2e.spec.ts'] },
  ],
};
