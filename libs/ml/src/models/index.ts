export * from './random';
export * from './params';
export * from './layers';
export * from './optim';
export { registerTfjsGradients } from './register-gradients';
