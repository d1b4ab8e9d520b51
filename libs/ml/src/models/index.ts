export * from './random';
export * from './params';
export * from './layers';
export * from './optim';
export { registerTfjsGradients } from './register-gradients';
export * from './tokenizer';
export * from './text-encoder';
