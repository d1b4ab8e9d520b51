export * from './engine';
export * from './checkpoint';
