import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServiceProcess as Service } from '../helpers/service-process';
import { createServiceSandbox, ServiceSandbox } from '../helpers/service-sandbox';
import { SHARED_DIR, waitFor } from '../helpers/test-app';

const SAMPLES = path.join(SHARED_DIR, 'data/deeplesion-samples');
const hasSamples = fs.existsSync(path.join(SAMPLES, 'lesions.csv'));
if (!hasSamples) console.log(`[multi-process e2e] skipped: ${SAMPLES} is absent (real DeepLesion samples, see ../shared/README)`);
// What the issue asks of propagation: a change made through one process shows in another within this.
const PROPAGATION_MS = 2000;

interface Hit {
  lesion: { id: number };
}

/**
 * Two real service processes (`node dist/src/main.js`) on one PostgreSQL database, and the CLI
 * importing beside them: what one process or the CLI writes, the other serves within 2 s.
 */
(hasSamples ? describe : describe.skip)('several service processes on one database (e2e, real processes)', () => {
  jest.setTimeout(600_000);
  let sandbox: ServiceSandbox;
  let a: Service;
  let b: Service;

  beforeAll(async () => {
    // Both processes share the sandbox's one index folder: only the snapshot owner writes there.
    sandbox = await createServiceSandbox('multi-process');
    // One after the other: the first runs the migrations.
    a = await sandbox.start('all');
    b = await sandbox.start('all');
    await sandbox.createAdminKey('multi-process');
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  const similar = async (service: Service, body: object): Promise<{ status: number; hits: Hit[] }> => {
    const res = await sandbox.call(service, 'POST', '/api/v1/search/similar', body);
    return { status: res.status, hits: res.ok ? ((await res.json()) as { hits: Hit[] }).hits : [] };
  };
  /** Polls until the condition holds; fails when it did not within the propagation deadline. */
  const within = <T>(check: () => Promise<T | null | undefined | false>) => waitFor(check, PROPAGATION_MS, 50);

  it('serves lesions imported by the CLI beside it, in both processes, within 2 s', async () => {
    const before = await similar(b, { lesionId: 1, k: 5 });
    expect(before.status).toBe(404);
    await sandbox.cli(['ingest', 'samples', '--csv', path.join(SAMPLES, 'lesions.csv'), '--images', path.join(SAMPLES, 'images'), '--dataset', 'real-samples']);
    const [{ id: newest }] = await sandbox.sql<{ id: number }>('SELECT max(id) AS id FROM lesion');
    const found = await within(async () => {
      const result = await similar(b, { lesionId: newest, k: 5 });
      return result.status === 200 && result.hits.length === 5 && result;
    });
    expect(found.hits).toHaveLength(5);
    expect((await similar(a, { lesionId: newest, k: 5 })).status).toBe(200);

    const ready = await fetch(`${b.url}/health/ready`);
    expect(ready.status).toBe(200);
    const index = ((await ready.json()) as { info: { index: { points: number; databaseEmbeddings: number; log: { lagEntries: number } } } }).info.index;
    const [{ n }] = await sandbox.sql<{ n: number }>('SELECT count(*)::int AS n FROM lesion_embedding');
    expect(n).toBeGreaterThan(40);
    expect(index.points).toBe(n);
    expect(index.databaseEmbeddings).toBe(n);
    expect(index.log.lagEntries).toBe(0);
  });

  it('stops returning a lesion in B within 2 s of its deletion through A', async () => {
    const [probe] = await sandbox.sql<{ id: number }>('SELECT min(id) AS id FROM lesion');
    const hitsOf = async (service: Service) => (await similar(service, { lesionId: probe.id, k: 10, excludeSamePatient: false })).hits.map((h) => h.lesion.id);
    const victim = (await hitsOf(b))[0];
    expect(victim).toBeDefined();
    expect((await sandbox.call(a, 'DELETE', `/api/v1/lesions/${victim}`)).status).toBe(204);
    await within(async () => !(await hitsOf(b)).includes(victim));
    expect(await hitsOf(b)).not.toContain(victim);
    expect(await hitsOf(a)).not.toContain(victim);
  });

  it('filters in B on metadata rewritten by a re-import through the CLI', async () => {
    const lines = fs.readFileSync(path.join(SAMPLES, 'lesions.csv'), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const typeColumn = header.indexOf('coarse_type');
    // The last row: a lesion that is still there (the deletion above took one of the first patients' neighbours, or not; it is re-imported anyway).
    const row = lines[lines.length - 1].split(',');
    const [patient, study, slice] = [row[header.indexOf('patient_index')], row[header.indexOf('study_index')], row[header.indexOf('key_slice_index')]];
    const [target] = await sandbox.sql<{ id: number; coarse_type: number }>(
      `SELECT l.id, l.coarse_type FROM lesion l JOIN study st ON st.id = l.study_id JOIN patient p ON p.id = l.patient_id
        WHERE p.patient_index = $1 AND st.study_index = $2 AND l.key_slice_index = $3`,
      [Number(patient), Number(study), Number(slice)],
    );
    const newType = target.coarse_type === 8 ? 7 : 8;
    const [probe] = await sandbox.sql<{ id: number }>('SELECT min(id) AS id FROM lesion WHERE id <> $1', [target.id]);
    const filtered = async () =>
      (await similar(b, { lesionId: probe.id, k: 50, excludeSamePatient: false, coarseType: [newType] })).hits.map((h) => h.lesion.id);
    expect(await filtered()).not.toContain(target.id);

    row[typeColumn] = String(newType);
    lines[lines.length - 1] = row.join(',');
    const csv = path.join(sandbox.work, 'lesions-retyped.csv');
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    await sandbox.cli(['ingest', 'samples', '--csv', csv, '--images', path.join(SAMPLES, 'images'), '--dataset', 'real-samples']);
    expect((await sandbox.sql<{ coarse_type: number }>('SELECT coarse_type FROM lesion WHERE id = $1', [target.id]))[0].coarse_type).toBe(newType);
    await within(async () => (await filtered()).includes(target.id));
    expect(await filtered()).toContain(target.id);

    const ready = await fetch(`${b.url}/health/ready`);
    expect(ready.status).toBe(200);
    const index = ((await ready.json()) as { info: { index: { points: number; databaseEmbeddings: number } } }).info.index;
    expect(index.points).toBe(index.databaseEmbeddings);
  });

  it('lets exactly one process write snapshots for the model', async () => {
    const owners = await sandbox.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(owners[0].n).toBe(1);
  });
});
