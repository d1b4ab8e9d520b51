export * from './engine';
export * from './checkpoint';
export * from './models';
export * from './onnx';
