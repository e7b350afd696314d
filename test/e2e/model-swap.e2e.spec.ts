import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JOB_QUEUE, JobQueue } from '../../src/jobs/job-queue.port';
import { buildDefaultEncoder } from '../../src/ml/default-encoder/default-model';
import { embeddingDim } from '../../src/ml/encoder-manifest';
import { EncoderRepository } from '../../src/ml/encoder.repository';
import { EncoderService } from '../../src/ml/encoder.service';
import { ModelRegistryRepository } from '../../src/models/model-registry.repository';
import { ModelsService } from '../../src/models/models.service';
import { VectorIndexService } from '../../src/vector-index/vector-index.service';
import { covers } from '../helpers/route-coverage';
import { bearer, createSampleApp, SampleApp, waitFor } from '../helpers/test-app';

interface ModelView {
  id: string;
  name: string;
  folder: string | null;
  status: string;
  progress: { embedded: number; total: number };
  activateWhenReady: boolean;
}

/**
 * Issue 19, model swaps: a second encoder is registered while searches run; the archive is embedded
 * with it in the background, its index is built beside the live one, and search switches to it with
 * no failed or empty answer on the way; switching back is instant.
 */
describe('model swaps without downtime (e2e)', () => {
  let t: SampleApp;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lesion-models-swap-'));
    t = await createSampleApp({ MODELS_DIR: modelsDir });
    // The default encoder again, under another name and with another histogram weight: another model id, other vectors.
    const { manifest, bytes } = buildDefaultEncoder();
    for (const [folder, extraWeight] of [
      ['second', 0.25],
      ['third', 0.5],
      ['fourth', 0.75],
    ] as const) {
      const blocks = manifest.descriptor.blocks.map((b) => (b.kind === 'hu-histogram' ? { ...b, weight: b.weight + extraWeight } : b));
      const model = { ...manifest, name: `${folder}-encoder`, descriptor: { ...manifest.descriptor, blocks } };
      await new EncoderRepository().writeModel(path.join(modelsDir, folder), model, bytes);
    }
    fs.mkdirSync(path.join(modelsDir, 'broken'));
    fs.writeFileSync(path.join(modelsDir, 'broken', 'manifest.json'), '{"schema": "nope"}');
  }, 300_000);
  afterAll(async () => {
    await t?.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  const models = async (): Promise<ModelView[]> => (await t.http().get('/api/v1/admin/models').set(bearer(t.adminKey)).expect(200)).body;
  const register = (body: object) => t.http().post('/api/v1/admin/models').set(bearer(t.adminKey)).send(body);
  const activate = (id: string) => t.http().post(`/api/v1/admin/models/${id}/activate`).set(bearer(t.adminKey));
  const similar = (lesionId: number) => t.http().post('/api/v1/search/similar').set(bearer(t.reader)).send({ lesionId, k: 5 });

  it('lists the configured encoder as the active model, with every lesion it embedded', async () => {
    covers('GET /api/v1/admin/models', 'success');
    const [only, ...others] = await models();
    expect(others).toEqual([]);
    const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM lesion_embedding WHERE model_id = $1', [only.id]);
    expect(n).toBeGreaterThan(0);
    expect(only).toMatchObject({ folder: 'default-scattering', status: 'active' });
  });

  it('shows the models to admin keys only', async () => {
    covers('GET /api/v1/admin/models', 'bad-input');
    const refused = await t.http().get('/api/v1/admin/models').set(bearer(t.reader)).expect(403);
    expect(refused.body.message).toMatch(/needs the admin role/);
  });

  it('refuses a path, a missing folder, a folder that is no encoder, and a reader key', async () => {
    covers('POST /api/v1/admin/models', 'bad-input');
    const escaping = await register({ name: '../x' }).expect(400);
    expect(escaping.body.message).toMatch(/plain folder name/);
    const missing = await register({ name: 'nope' }).expect(404);
    expect(missing.body.message).toMatch(/No model folder "nope"/);
    const broken = await register({ name: 'broken' }).expect(400);
    expect(broken.body.message).toMatch(/not a usable encoder: invalid encoder manifest/);
    await t.http().post('/api/v1/admin/models').set(bearer(t.reader)).send({ name: 'second' }).expect(403);
    expect((await models()).map((m) => m.status)).toEqual(['active']);
  });

  it('refuses to activate an unknown, malformed or not yet ready model', async () => {
    covers('POST /api/v1/admin/models/{id}/activate', 'bad-input');
    await activate('f'.repeat(64)).expect(404);
    const malformed = await activate('..%2Fx').expect(400);
    expect(malformed.body.message).toMatch(/64 lowercase hex/);
    const notReady = 'e'.repeat(64);
    await t.db.query(`INSERT INTO encoder_model (id, name, dim, manifest, folder, status) VALUES ($1, 'half', 2, '{}', 'second', 'embedding')`, [notReady]);
    const refused = await activate(notReady).expect(409);
    expect(refused.body.message).toMatch(/is embedding: only a ready model/);
    await t.db.query('DELETE FROM encoder_model WHERE id = $1', [notReady]);
  });

  it('keeps answering searches while a second model embeds and takes over, and switches back', async () => {
    covers('POST /api/v1/admin/models', 'success');
    covers('POST /api/v1/admin/models/{id}/activate', 'success');
    const [old] = await models();
    const lesionIds: number[] = (await t.db.query('SELECT id FROM lesion ORDER BY id')).map((r: { id: number }) => r.id);
    const answers: { status: number; hits: number; model: string | null }[] = [];
    let searching = true;
    const loop = (async () => {
      for (let i = 0; searching; i++) {
        const res = await similar(lesionIds[(i * 7) % lesionIds.length]);
        answers.push({ status: res.status, hits: res.body.hits?.length ?? 0, model: res.body.model?.modelId ?? null });
      }
    })();

    const registered = await register({ name: 'second' }).expect(202);
    expect(registered.body).toMatchObject({ name: 'second-encoder', folder: 'second', status: 'embedding' });
    const second: string = registered.body.id;
    expect(second).not.toBe(old.id);
    const active = await waitFor(async () => (await models()).find((m) => m.id === second && m.status === 'active'), 240_000, 200);
    // The row turns active first; this process then builds the new index beside the live one and swaps (the old
    // model answers meanwhile). Wait for the first answer from the new model, then a few more, then stop.
    const activeAt = answers.length;
    await waitFor(async () => answers.slice(activeAt).some((a) => a.model === second), 120_000);
    const switchedAt = answers.length;
    await waitFor(async () => answers.length >= switchedAt + 5, 60_000);
    searching = false;
    await loop;

    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    expect(answers.filter((a) => a.status !== 200 || a.hits === 0)).toEqual([]);
    expect(answers.some((a) => a.model === old.id)).toBe(true);
    expect(answers[answers.length - 1].model).toBe(second);
    expect(active.progress.embedded).toBe(lesionIds.length);
    expect((await models()).find((m) => m.id === old.id)?.status).toBe('ready');

    // Every lesion is in the new index: the database holds an embedding of each, the index as many points.
    const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM lesion_embedding WHERE model_id = $1', [second]);
    expect(n).toBe(lesionIds.length);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.index).toMatchObject({ points: n, databaseEmbeddings: n });
    for (const id of lesionIds.slice(0, 3)) {
      const res = await similar(id).expect(200);
      expect(res.body.model.modelId).toBe(second);
      expect(res.body.hits.length).toBe(5);
    }

    // Back to the old model: its index was parked, so the switch answers at once.
    const back = await activate(old.id).expect(200);
    expect(back.body).toMatchObject({ id: old.id, status: 'active' });
    expect((await similar(lesionIds[0]).expect(200)).body.model.modelId).toBe(old.id);
    expect((await models()).find((m) => m.id === second)?.status).toBe('ready');
    const again = await activate(second).expect(200);
    expect(again.body.status).toBe('active');
    expect((await similar(lesionIds[0]).expect(200)).body.model.modelId).toBe(second);
  }, 300_000);

  it('resumes after a restart an embedding it interrupted, with the activation asked for at registration', async () => {
    const [configured, second] = await models();
    expect([configured.status, second.status]).toEqual(['ready', 'active']);
    // What POST /admin/models leaves when the process stops before its in-process job ends: the row, and no job.
    const encoder = t.app.get(EncoderService);
    const recordRegistration = async (folder: string, activate: boolean): Promise<string> => {
      const model = await encoder.openModel(folder);
      const { modelId, manifest } = model.encoder;
      await encoder.closeModel(model);
      await t.app.get(ModelRegistryRepository).register({ id: modelId, folder, dim: embeddingDim(manifest), manifest, activate });
      return modelId;
    };
    const third = await recordRegistration('third', true);
    const fourth = await recordRegistration('fourth', false);
    const queue = t.app.get<JobQueue>(JOB_QUEUE);
    const before = await queue.counts('model-embedding');

    // The start-up path of the next process: unfinished embeddings are enqueued again.
    await t.app.get(ModelsService).onApplicationBootstrap();
    await waitFor(async () => (await queue.counts('model-embedding')).completed >= before.completed + 2, 240_000, 200);

    const byId = new Map((await models()).map((m) => [m.id, m]));
    expect(byId.get(third)).toMatchObject({ status: 'active', activateWhenReady: true });
    expect(byId.get(fourth)).toMatchObject({ status: 'ready', activateWhenReady: false });
    expect(byId.get(second.id)?.status).toBe('ready');
    expect(byId.get(fourth)?.progress.embedded).toBe(byId.get(third)?.progress.embedded);
    const [{ id: lesionId }] = await t.db.query('SELECT min(id)::int AS id FROM lesion');
    expect((await similar(lesionId).expect(200)).body.model.modelId).toBe(third);

    // Four switches in this process and one model parked (PARKED_MODELS=1): the previous one; the configured model was released.
    expect(t.app.get(EncoderService).parkedModelIds()).toEqual([second.id]);
    expect(t.app.get(VectorIndexService).parkedModelIds()).toEqual([second.id]);
  }, 300_000);
});
