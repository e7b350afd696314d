import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { EncoderManifest } from '../../src/ml/encoder-manifest';
import { ModelRegistryRepository } from '../../src/models/model-registry.repository';
import { createTestDatabase, TestDatabase } from '../helpers/database';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** Migrations 1765700000000 and 1765719000000: the registry's switch is one statement, one change-log entry, one active model. */
describe('encoder model registry (medium)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let registry: ModelRegistryRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await new DataSource(dataSourceOptions(database.url)).initialize();
    registry = new ModelRegistryRepository(db);
    await db.query(`INSERT INTO encoder_model (id, name, dim, manifest) VALUES ($1, 'a', 2, '{}'), ($2, 'b', 2, '{}')`, [A, B]);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const modelEntries = async () => {
    const rows: { model_id: string }[] = await db.query(`SELECT model_id FROM change_log WHERE kind = 'model' ORDER BY position`);
    return rows.map((r) => r.model_id);
  };
  const statuses = async () => Object.fromEntries((await registry.list()).map((m) => [m.id, m.status]));

  it('starts new rows as registered and activates the configured one only when none is active', async () => {
    expect(await statuses()).toEqual({ [A]: 'registered', [B]: 'registered' });
    await registry.activateIfNoneActive(A, 'folder-a');
    await registry.activateIfNoneActive(B, 'folder-b');
    expect(await statuses()).toEqual({ [A]: 'active', [B]: 'registered' });
    expect((await registry.get(A))?.folder).toBe('folder-a');
  });

  it('refuses to activate a model that is not ready, and changes nothing', async () => {
    const before = await modelEntries();
    expect(await registry.activate(B)).toBe(false);
    expect(await statuses()).toEqual({ [A]: 'active', [B]: 'registered' });
    expect(await modelEntries()).toEqual(before);
  });

  it('switches in one statement with one change-log entry, and back', async () => {
    await db.query(`UPDATE encoder_model SET status = 'ready' WHERE id = $1`, [B]);
    const before = await modelEntries();
    expect(await registry.activate(B)).toBe(true);
    expect(await statuses()).toEqual({ [A]: 'ready', [B]: 'active' });
    expect(await modelEntries()).toEqual([...before, B]);
    expect(await registry.activate(A)).toBe(true);
    expect(await statuses()).toEqual({ [A]: 'active', [B]: 'ready' });
    expect(await modelEntries()).toEqual([...before, B, A]);
  });

  it('never holds two active models', async () => {
    await expect(db.query(`UPDATE encoder_model SET status = 'active' WHERE id = $1`, [B])).rejects.toThrow(/encoder_model_one_active/);
    expect(await statuses()).toEqual({ [A]: 'active', [B]: 'ready' });
  });

  it("keeps the latest registration's activation intent on the row, for a resumed embedding and for the switch when ready", async () => {
    const C = 'c'.repeat(64);
    const manifest = { name: 'c' } as EncoderManifest;
    await registry.register({ id: C, folder: 'folder-c', dim: 2, manifest, activate: true });
    expect(await registry.unfinishedEmbeddings()).toEqual([{ id: C, activateWhenReady: true }]);
    // Registered again, without activation: the newer intent counts.
    await registry.register({ id: C, folder: 'folder-c', dim: 2, manifest, activate: false });
    expect((await registry.get(C))?.activateWhenReady).toBe(false);
    expect(await registry.markReady(C)).toEqual({ activateWhenReady: false });
    expect(await registry.markReady(C)).toBeNull();
    await registry.register({ id: C, folder: 'folder-c', dim: 2, manifest, activate: true });
    expect(await registry.markReady(C)).toEqual({ activateWhenReady: true });
    expect(await registry.unfinishedEmbeddings()).toEqual([]);
    expect((await registry.get(C))?.status).toBe('ready');
  });

  it('logs no entry for progress updates', async () => {
    const before = await modelEntries();
    await registry.setProgress(B, 3, 5);
    expect((await registry.get(B))?.progress).toEqual({ embedded: 3, total: 5 });
    expect(await modelEntries()).toEqual(before);
  });
});
