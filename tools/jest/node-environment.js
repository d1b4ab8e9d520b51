// Jest's node environment with Node's own typed-array constructors. Native addons
// (onnxruntime-node) create typed arrays in Node's realm, and libraries in the test's sandbox
// check them with `instanceof Float32Array` against the sandbox's constructor, which fails.
// jest-environment-node already shares ArrayBuffer and Uint8Array for the same reason.
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = ['Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];

class ForgeNodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = ForgeNodeEnvironment;
