/**
 * Messages between an OnnxThreadSession (event loop) and its inference thread (session-thread.ts).
 * onnxruntime-node runs a session synchronously on the thread that calls it, so a run on the event loop
 * holds up every request for its whole length (a detector pass is tens of milliseconds here).
 */

/** A float32 tensor as it crosses threads: flat data plus its dims. */
export interface OnnxTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface SessionOptionsMessage {
  /** Execution providers in order of preference, as onnxruntime names them (e.g. "cuda", "cpu"). */
  executionProviders: string[];
  /** 0 lets onnxruntime choose. */
  intraOpThreads: number;
}

export type ToSessionThread =
  | { kind: 'open'; onnx: Uint8Array; options: SessionOptionsMessage }
  | { kind: 'run'; id: number; feeds: Record<string, OnnxTensor>; fetches: string[] }
  | { kind: 'release' };

export type FromSessionThread =
  | { kind: 'opened'; inputNames: string[]; outputNames: string[] }
  | { kind: 'open-failed'; message: string }
  | { kind: 'ran'; id: number; outputs: Record<string, OnnxTensor> }
  | { kind: 'run-failed'; id: number; message: string }
  | { kind: 'released' };
