import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { LesionTagsRepository } from '../../src/tags/lesion-tags.repository';
import { createTestDatabase, TestDatabase } from '../helpers/database';

/**
 * A CLI command builds the whole application, and its start fails the prediction runs left
 * 'running'. Two data sources stand for two processes: the server's live run must survive a CLI
 * start; a run whose process died must not.
 */
describe('tag prediction runs: only runs whose owner is gone are failed (medium)', () => {
  let database: TestDatabase;
  let server: DataSource;
  let cli: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await new DataSource(dataSourceOptions(database.url, false)).initialize();
    await server.runMigrations();
    cli = await new DataSource(dataSourceOptions(database.url, false)).initialize();
  });
  afterAll(async () => {
    await server?.destroy();
    await cli?.destroy();
    await database?.drop();
  });

  const statusOf = async (id: number) => (await cli.query('SELECT status, error FROM tag_prediction_run WHERE id = $1', [id]))[0];

  it("leaves the server's running run alone, and fails an orphaned one", async () => {
    const serverRuns = new LesionTagsRepository(server);
    const cliRuns = new LesionTagsRepository(cli);
    const live = await serverRuns.startPredictionRun('model-a', 1);
    const [{ id: orphan }] = await cli.query(`INSERT INTO tag_prediction_run (model_id, labels_version, status) VALUES ('model-a', 1, 'running') RETURNING id`);

    expect(await cliRuns.failStaleRuns()).toBe(1);
    expect(await statusOf(live)).toEqual({ status: 'running', error: null });
    expect(await statusOf(orphan)).toEqual({ status: 'failed', error: 'interrupted' });

    await serverRuns.finishPredictionRun(live, { status: 'done', lesions: 3, tags: 4 });
    expect(await statusOf(live)).toEqual({ status: 'done', error: null });
    // Finishing gave the lock and its connection back.
    const [{ n }] = await cli.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1`, [live]);
    expect(n).toBe(0);
  });

  it('fails a run once the process that owned it is gone', async () => {
    const doomed = await new DataSource(dataSourceOptions(database.url, false)).initialize();
    const id = await new LesionTagsRepository(doomed).startPredictionRun('model-a', 2);
    const cliRuns = new LesionTagsRepository(cli);
    expect(await cliRuns.failStaleRuns()).toBe(0);
    expect((await statusOf(id)).status).toBe('running');
    // The owner's process dies: its connection goes, and the lock with it (the wait form of
    // pg_terminate_backend returns once the backend has exited).
    const [{ pid }] = await cli.query(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1`, [id]);
    await cli.query('SELECT pg_terminate_backend($1, 10000)', [pid]);
    expect(await cliRuns.failStaleRuns()).toBe(1);
    expect(await statusOf(id)).toEqual({ status: 'failed', error: 'interrupted' });
    await Promise.race([doomed.destroy().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  });
});
