import { Logger } from '@nestjs/common';
import { ModelLifecycle, ModelOpening } from './model-lifecycle';
import { LoadedModel, OnnxModelStore, serialiseManifest } from './onnx-model-store';

interface FakeManifest {
  name: string;
  model: { file: string };
}

const MANIFEST: FakeManifest = { name: 'fake', model: { file: 'model.onnx' } };
const BYTES = new Uint8Array([1, 2, 3]);

function fakeStore(options: { files?: { onnx: Uint8Array; manifestText: string } | null; loadError?: Error } = {}) {
  const loaded = { manifest: MANIFEST, modelId: 'a'.repeat(64), session: {}, providers: ['cpu'] } as unknown as LoadedModel<FakeManifest>;
  const store = {
    readModelFiles: jest.fn().mockResolvedValue(options.files ?? null),
    writeModel: jest.fn().mockResolvedValue(undefined),
    load: options.loadError ? jest.fn().mockRejectedValue(options.loadError) : jest.fn().mockResolvedValue(loaded),
    release: jest.fn().mockResolvedValue(undefined),
  };
  return { store, loaded, lifecycle: new ModelLifecycle(store as unknown as OnnxModelStore<FakeManifest>, 'encoder', new Logger('test')) };
}

function opening(overrides: Partial<ModelOpening<FakeManifest>> = {}): ModelOpening<FakeManifest> {
  return {
    modelsDir: '/models',
    name: 'fake',
    providers: ['cpu'],
    intraOpThreads: 0,
    builtIn: { name: 'built-in', build: () => ({ manifest: MANIFEST, bytes: BYTES }) },
    warmUp: jest.fn().mockResolvedValue(undefined),
    describe: () => 'test',
    ...overrides,
  };
}

beforeAll(() => Logger.overrideLogger(false));

describe('ModelLifecycle', () => {
  it('is loading, then ready with the loaded model once opened and warmed up', async () => {
    const { store, loaded, lifecycle } = fakeStore();
    expect(lifecycle.state).toBe('loading');
    expect(() => lifecycle.loaded).toThrow('the encoder is still loading');
    const warmUp = jest.fn().mockResolvedValue(undefined);
    await lifecycle.open(opening({ warmUp }));
    expect(store.load).toHaveBeenCalledWith('/models/fake', ['cpu'], 0);
    expect(warmUp).toHaveBeenCalledWith(loaded);
    expect(lifecycle.state).toBe('ready');
    expect(lifecycle.loaded).toBe(loaded);
    expect(store.writeModel).not.toHaveBeenCalled();
  });

  it('fails with the reason, and says it when the model is asked for', async () => {
    const { lifecycle } = fakeStore({ loadError: new Error('no such model') });
    await lifecycle.open(opening());
    expect(lifecycle.state).toBe('failed');
    expect(lifecycle.message).toBe('no such model');
    expect(lifecycle.current).toBeNull();
    expect(() => lifecycle.loaded).toThrow('the encoder failed to load: no such model');
  });

  it('a failing warm-up fails the load too', async () => {
    const { lifecycle } = fakeStore();
    await lifecycle.open(opening({ warmUp: jest.fn().mockRejectedValue(new Error('bad output')) }));
    expect(lifecycle.state).toBe('failed');
    expect(lifecycle.message).toBe('bad output');
  });

  it('writes the built-in model when it is configured and missing or changed, not when it is current', async () => {
    const missing = fakeStore();
    await missing.lifecycle.open(opening({ name: 'built-in' }));
    expect(missing.store.writeModel).toHaveBeenCalledWith('/models/built-in', MANIFEST, BYTES);

    const current = fakeStore({ files: { onnx: BYTES, manifestText: serialiseManifest(MANIFEST) } });
    await current.lifecycle.open(opening({ name: 'built-in' }));
    expect(current.store.writeModel).not.toHaveBeenCalled();

    const changed = fakeStore({ files: { onnx: new Uint8Array([9]), manifestText: serialiseManifest(MANIFEST) } });
    await changed.lifecycle.open(opening({ name: 'built-in' }));
    expect(changed.store.writeModel).toHaveBeenCalledTimes(1);
  });

  it('close releases the session once', async () => {
    const { store, lifecycle } = fakeStore();
    await lifecycle.open(opening());
    await lifecycle.close();
    await lifecycle.close();
    expect(store.release).toHaveBeenCalledTimes(1);
    expect(lifecycle.current).toBeNull();
  });
});
