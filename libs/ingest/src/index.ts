export * from './errors';
export * from './csv';
export * from './dataset-csv';
export * from './ratings-csv';
export * from './confine';
export * from './ids';
export * from './image-source';
export * from './import-dataset';
