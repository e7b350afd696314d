/**
 * Jest environment for specs that run onnxruntime-node. Jest evaluates tests in a separate V8
 * context whose typed-array constructors differ from the main realm's, and onnxruntime-common's
 * `data instanceof Float32Array` check then rejects the arrays the native binding returns. Sharing
 * the main realm's typed-array constructors with the test context fixes that.
 * Use with the docblock `@jest-environment ./src/ml/onnx/ort-jest-environment.js`.
 */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'ArrayBuffer',
];

class OrtTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OrtTestEnvironment;
