// The whole system started for end-to-end tests and benchmarks: API child process, built portal, Chromium.
export * from './processes';
export * from './portal-build';
export * from './portal-stack';
export * from './api-client';
export * from './model-fixtures';
export * from './generator-fixtures';
