// Node side of bench/gpu-check.sh: CPU vs GPU embeddings of the same prepared patches (relative error)
// and patches per second at batch 1, 32 and 256 for both providers. Prints the table last.
import * as ort from 'onnxruntime-node';
import { buildDefaultEncoder } from '../src/ml/default-encoder/default-model';

async function main(provider: string): Promise<void> {
  const { manifest, bytes } = buildDefaultEncoder();
  const size = manifest.input.size;
  const channels = manifest.input.windows.length * manifest.input.sliceOffsetsMm.length;
  const cpu = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  let gpu: ort.InferenceSession;
  try {
    gpu = await ort.InferenceSession.create(bytes, { executionProviders: [provider] });
  } catch (error) {
    console.log(`provider ${provider} failed to start: ${(error as Error).message}`);
    process.exit(3);
  }
  // Deterministic pseudo-patches in [0, 1] with a centred box mask.
  const make = (batch: number) => {
    const patch = new Float32Array(batch * channels * size * size);
    let s = 1;
    for (let i = 0; i < patch.length; i++) patch[i] = (s = (s * 16807) % 2147483647) / 2147483647;
    const mask = new Float32Array(batch * size * size);
    for (let b = 0; b < batch; b++)
      for (let y = size / 4; y < (3 * size) / 4; y++) for (let x = size / 4; x < (3 * size) / 4; x++) mask[b * size * size + y * size + x] = 1;
    return {
      [manifest.model.inputs.patch]: new ort.Tensor('float32', patch, [batch, channels, size, size]),
      [manifest.model.inputs.boxMask!]: new ort.Tensor('float32', mask, [batch, 1, size, size]),
    };
  };
  const rows: string[] = [];
  const feeds32 = make(32);
  const a = (await cpu.run(feeds32))[manifest.model.output].data as Float32Array;
  const b = (await gpu.run(feeds32))[manifest.model.output].data as Float32Array;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  const relError = Math.sqrt(num / den);
  for (const batch of [1, 32, 256]) {
    const feeds = make(batch);
    const rate = async (session: ort.InferenceSession) => {
      await session.run(feeds);
      const runs = Math.max(3, Math.ceil(512 / batch));
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) await session.run(feeds);
      return (runs * batch) / ((performance.now() - t0) / 1000);
    };
    rows.push(`| ${batch} | ${Math.round(await rate(cpu))} | ${Math.round(await rate(gpu))} |`);
  }
  console.log(`\nprovider ${provider}; relative error GPU vs CPU (batch 32): ${relError.toExponential(2)}\n`);
  console.log(['| batch | CPU patches/s | ' + provider + ' patches/s |', '|---|---|---|', ...rows].join('\n'));
}

main(process.argv[2] ?? 'cuda').then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
