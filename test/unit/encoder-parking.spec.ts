import * as path from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { buildDefaultEncoder } from '../../src/ml/default-encoder/default-model';
import { EncoderRepository, LoadedEncoder } from '../../src/ml/encoder.repository';
import { EncoderService } from '../../src/ml/encoder.service';
import { PreparedPatch } from '../../src/ml/patch-job';
import { asDependency, mockMethods } from '../helpers/typed-mocks';

const MODELS_DIR = '/models';
const { manifest } = buildDefaultEncoder();
const DIM = manifest.model.dim;
// The model id of a folder, in these tests: its name.
const idOf = (folder: string) => `id-${folder}`;
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Issue 19 leftovers: switching between models parks the previous encoder so that switching back is
 * instant, but only PARKED_MODELS of them; older ones are released (their onnxruntime session closed),
 * and never under a run still using them.
 */
describe('EncoderService parking (unit)', () => {
  async function encoderService(parkedModels: number) {
    /** Runs of model a wait for this while the test holds it, so that a is released while in use. */
    const held: { promise: Promise<void> | null } = { promise: null };
    const repository = mockMethods<EncoderRepository>()({
      load: async (dir: string) => asDependency<LoadedEncoder>({ manifest, modelId: idOf(path.basename(dir)), providers: ['cpu'] }),
      run: async (encoder: LoadedEncoder, batch: number) => {
        if (held.promise && encoder.modelId === idOf('a')) await held.promise;
        return new Float32Array(batch * DIM);
      },
      release: async () => undefined,
    });
    const config = {
      encoder: { modelsDir: MODELS_DIR, model: 'a', executionProviders: ['cpu'], intraOpThreads: 0, prepareWorkers: 0, batchSize: 8, parkedModels },
    } as unknown as AppConfig;
    const service = new EncoderService(asDependency<EncoderRepository>(repository), config);
    await service.onModuleInit();
    expect(service.status()).toMatchObject({ state: 'ready', modelId: idOf('a') });
    const switchTo = async (folder: string) => {
      service.use(await service.prepareSwitch(idOf(folder), folder));
      // Releasing closes the patch preparers, then the session: let it finish.
      await settle();
    };
    const released = () => repository.release.mock.calls.map(([encoder]) => encoder.modelId);
    const loads = () => repository.load.mock.calls.length;
    return { service, repository, held, switchTo, released, loads };
  }

  it('keeps only the most recent previous model parked, and switches back to it without loading', async () => {
    const { service, switchTo, released, loads } = await encoderService(1);
    await switchTo('b');
    expect(service.parkedModelIds()).toEqual([idOf('a')]);
    expect(released()).toEqual([]);
    await switchTo('c');
    await switchTo('d');
    await switchTo('e');
    // Four switches, one parked: a, b and c were released, each once; d (the previous one) is kept.
    expect(service.parkedModelIds()).toEqual([idOf('d')]);
    expect(released()).toEqual([idOf('a'), idOf('b'), idOf('c')]);
    const before = loads();
    await switchTo('d');
    expect(loads()).toBe(before);
    expect(service.loaded.modelId).toBe(idOf('d'));
    expect(service.parkedModelIds()).toEqual([idOf('e')]);
    expect(released()).toEqual([idOf('a'), idOf('b'), idOf('c')]);
  });

  it('keeps PARKED_MODELS models, dropping the least recently parked first', async () => {
    const { service, switchTo, released } = await encoderService(2);
    await switchTo('b');
    await switchTo('c');
    expect(service.parkedModelIds()).toEqual([idOf('a'), idOf('b')]);
    // Back to a: it leaves the parked set and c joins it, as the most recent.
    await switchTo('a');
    expect(service.parkedModelIds()).toEqual([idOf('b'), idOf('c')]);
    await switchTo('d');
    expect(service.parkedModelIds()).toEqual([idOf('c'), idOf('a')]);
    expect(released()).toEqual([idOf('b')]);
  });

  it('closes a released model only once the run using it has ended', async () => {
    const { service, repository, held, switchTo, released } = await encoderService(1);
    let finish!: () => void;
    held.promise = new Promise((resolve) => (finish = resolve));
    const { size, windows, sliceOffsetsMm } = manifest.input;
    const patch = new Float32Array(windows.length * sliceOffsetsMm.length * size * size);
    const prepared: PreparedPatch = { key: 1, patch, boxMask: new Float32Array(size * size), histogram: new Float32Array(0), position: new Float32Array(0) };
    // Whether the descriptor blocks accept this patch does not matter here: only that the model ran on encoder a.
    const running = service.embedPrepared(prepared).catch(() => undefined);
    const runsBefore = repository.run.mock.calls.length;
    await settle();
    expect(repository.run.mock.calls.slice(runsBefore - 1).map(([encoder]) => encoder.modelId)).toEqual([idOf('a')]);
    await switchTo('b');
    await switchTo('c');
    expect(service.parkedModelIds()).toEqual([idOf('b')]);
    expect(released()).toEqual([]);
    finish();
    held.promise = null;
    await running;
    await settle();
    expect(released()).toEqual([idOf('a')]);
  });

  it('releases a parked model on request, and a prepared one a switch did not use', async () => {
    const { service, switchTo, released } = await encoderService(2);
    await switchTo('b');
    expect(await service.releaseParked(idOf('a'))).toBe(true);
    expect(await service.releaseParked(idOf('a'))).toBe(false);
    expect(service.parkedModelIds()).toEqual([]);
    const unused = await service.prepareSwitch(idOf('c'), 'c');
    await service.discard(unused);
    expect(released()).toEqual([idOf('a'), idOf('c')]);
    expect(service.loaded.modelId).toBe(idOf('b'));
  });
});
