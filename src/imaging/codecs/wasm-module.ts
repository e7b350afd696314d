import * as fs from 'node:fs';

/**
 * The Emscripten API shared by the cornerstone codec builds (charls, libjpeg-turbo, openjpeg, openjph):
 * one decoder class per module, fed through its own WASM heap.
 */
export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
}

export type WasmModule = Record<string, unknown>;

// The project's lib (ES2022, no DOM) does not declare the WebAssembly global; these are the parts used.
type Imports = Record<string, Record<string, unknown>>;
interface Instance {
  exports: Record<string, unknown>;
}
const WebAssemblyApi = (
  globalThis as unknown as {
    WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: Imports) => Instance };
  }
).WebAssembly;

/** A codec that cannot load (a missing or broken install): the server's fault, never the upload's. */
export class CodecUnavailableError extends Error {}

/**
 * Instantiates an Emscripten module synchronously: the factory's own loader is asynchronous, which would
 * make every decode asynchronous; with `instantiateWasm` answering at once, the runtime is ready when the
 * factory returns (Node allows synchronous compilation of any size). Done once per thread and module, on
 * first use, so a thread that never sees a compressed file never loads a codec.
 */
export function instantiateSync(factoryPath: string, wasmPath: string): WasmModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(factoryPath) as (module: object) => Promise<unknown>;
  const compiled = new WebAssemblyApi.Module(fs.readFileSync(wasmPath));
  const module: WasmModule = {
    instantiateWasm(imports: Imports, receive: (instance: Instance, module: object) => void) {
      const instance = new WebAssemblyApi.Instance(compiled, imports);
      receive(instance, compiled);
      return instance.exports;
    },
    // The codecs print progress chatter (OpenJPEG's [INFO] lines); keep it out of the service's logs.
    print: () => undefined,
    printErr: () => undefined,
  };
  factory(module).catch(() => undefined);
  if (module.calledRun !== true) throw new Error(`codec ${factoryPath} did not initialise synchronously`);
  return module;
}

/** A module loaded on first call, then kept for the life of the thread. */
export function lazyModule(packageName: string, factoryExport: string, wasmExport: string): () => WasmModule {
  let module: WasmModule | null = null;
  return () => {
    if (!module) {
      try {
        module = instantiateSync(require.resolve(`${packageName}/${factoryExport}`), require.resolve(`${packageName}/${wasmExport}`));
      } catch (error) {
        throw new CodecUnavailableError(`codec ${packageName} failed to load: ${(error as Error).message}`);
      }
    }
    return module;
  };
}

/**
 * Runs one decode through a module's decoder class and copies the samples out of the WASM heap (the
 * heap is reused by the next decode). The caller has already checked the codestream's size against the
 * header, so the decoder allocates no more than Rows × Columns × samples.
 */
export function decodeWithWasm(module: WasmModule, className: string, encoded: Uint8Array): { info: FrameInfo; samples: Uint8Array } {
  const Decoder = module[className] as new () => WasmDecoder;
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer();
    return { info: { ...info }, samples: new Uint8Array(decoded) };
  } finally {
    decoder.delete();
  }
}
