import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/*
 * tfjs-core's CommonJS bundle (what Node loads) registers kernels' forward ops only: gradients
 * and chained tensor methods are registered by the @tensorflow/tfjs umbrella package, which
 * we do not ship (it pulls in layers, converter, webgl). Its registration modules exist in
 * tfjs-core as ES modules, so we compile them to CommonJS with swc and evaluate them once.
 * The registries, the engine and the Tensor class are process-global in tfjs, so the
 * registrations land in the same engine the bundle uses.
 */

const ENTRY_POINTS = ['register_all_gradients.js', 'public/chained_ops/register_all_chained_ops.js'];

let done = false;

export function registerTfjsGradients(): void {
  if (done || tf.getGradient('RealDiv')) {
    done = true;
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const swc = require('@swc/core') as { transformSync(code: string, options: object): { code: string } };
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'));
  const cache = new Map<string, { exports: unknown }>();

  const load = (file: string): unknown => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    cache.set(file, module);
    const source = fs.readFileSync(file, 'utf8');
    const { code } = swc.transformSync(source, { filename: file, jsc: { target: 'es2020', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' }, sourceMaps: false });
    const localRequire = (spec: string): unknown => {
      if (spec.startsWith('.')) {
        let target = path.resolve(path.dirname(file), spec);
        if (!target.endsWith('.js')) target = fs.existsSync(target + '.js') ? target + '.js' : path.join(target, 'index.js');
        return load(target);
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(spec);
    };
    new Function('require', 'module', 'exports', code)(localRequire, module, module.exports);
    return module.exports;
  };

  for (const entry of ENTRY_POINTS) load(path.join(dist, entry));
  done = true;
}

registerTfjsGradients();
