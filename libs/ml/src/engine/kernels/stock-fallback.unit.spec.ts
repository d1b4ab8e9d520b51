import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { withStockFallback } from './stock-fallback';

const tensor = (shape: number[]): TensorInfo => ({ dataId: {}, shape, dtype: 'float32' });

describe('withStockFallback', () => {
  const setupFunc = () => undefined;
  const stock: KernelConfig = { kernelName: 'Thing', backendName: 'wasm', setupFunc, kernelFunc: () => tensor([9]) };

  it('returns what the fast path gives, else the stock kernel’s result, and keeps the stock setup', () => {
    const fast = withStockFallback('Thing', stock, ({ inputs }) => ((inputs.x as TensorInfo).shape[0] === 1 ? tensor([1]) : undefined));
    expect(fast.setupFunc).toBe(setupFunc);
    expect((fast.kernelFunc({ inputs: { x: tensor([1]) }, backend: {} }) as TensorInfo).shape).toEqual([1]);
    expect((fast.kernelFunc({ inputs: { x: tensor([2]) }, backend: {} }) as TensorInfo).shape).toEqual([9]);
  });

  it('names the kernel and its inputs when there is no stock kernel to fall back to', () => {
    const config = withStockFallback('Thing', undefined, () => undefined);
    expect(() => config.kernelFunc({ inputs: { a: tensor([2, 3]), b: tensor([3]) }, backend: {} })).toThrow('Thing of float32 [2,3], float32 [3] needs the stock wasm kernel');
  });
});
