import { buildBlobModel, blobOutputName } from '../default-detector/blob-model';
import { OnnxThreadSession } from './onnx-thread-session';

describe('OnnxThreadSession (a model on an inference thread)', () => {
  const model = buildBlobModel(2);
  let session: OnnxThreadSession;
  beforeAll(async () => {
    session = await OnnxThreadSession.open(model.bytes, { executionProviders: ['cpu'], intraOpThreads: 1 });
  }, 60_000);
  afterAll(async () => session?.release());

  it("reports the graph's input and output names", () => {
    expect(session.inputNames).toEqual([model.inputName]);
    expect(session.outputNames).toContain(blobOutputName(0));
  });

  it('answers runs sent together, each with its own output, and leaves the caller its input', async () => {
    const n = 256;
    const input = new Float32Array(2 * n * n).fill(1);
    const outputs = await Promise.all([1, 2, 3].map(() => session.run({ [model.inputName]: { data: input, dims: [1, 2, n, n] } }, [blobOutputName(0)])));
    for (const out of outputs) expect(out[blobOutputName(0)].dims).toEqual([1, expect.any(Number), n, n]);
    expect(outputs[0][blobOutputName(0)].data).toBeInstanceOf(Float32Array);
    expect(input[0]).toBe(1);
    expect(outputs[0][blobOutputName(0)].data).not.toBe(outputs[1][blobOutputName(0)].data);
  });

  it("rejects a run with onnxruntime's own message, and runs the next one", async () => {
    await expect(session.run({ [model.inputName]: { data: new Float32Array(6), dims: [1, 3, 2, 1] } }, [blobOutputName(0)])).rejects.toThrow(
      /image|dim|shape|channel/i,
    );
    const out = await session.run({ [model.inputName]: { data: new Float32Array(2 * 16 * 16), dims: [1, 2, 16, 16] } }, [blobOutputName(0)]);
    expect(out[blobOutputName(0)].dims[3]).toBe(16);
  });

  it('refuses bytes that are not a model, and stops its thread', async () => {
    await expect(OnnxThreadSession.open(new Uint8Array([1, 2, 3, 4]), { executionProviders: ['cpu'], intraOpThreads: 1 })).rejects.toThrow(
      /protobuf|model|load/i,
    );
  });

  it('rejects runs after release', async () => {
    const other = await OnnxThreadSession.open(model.bytes, { executionProviders: ['cpu'], intraOpThreads: 1 });
    await other.release();
    await expect(other.run({ [model.inputName]: { data: new Float32Array(8), dims: [1, 2, 2, 2] } }, [blobOutputName(0)])).rejects.toThrow(/released/);
  });
});
