export * from './errors';
export * from './csv';
export * from './dataset-csv';
export * from './ratings-csv';
export * from './confine';
