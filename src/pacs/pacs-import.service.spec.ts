import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadRequestException, BadGatewayException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ArchiveImportService, FetchedImport, FetchedJob } from '../archive/archive-import.service';
import { loadConfig } from '../config/app-config';
import { DicomJson, DicomWebService, InstanceRef, QidoQuery } from '../dicomweb/dicomweb.service';
import { IngestJobView } from '../ingest-jobs/ingest.types';
import { JobName, JobPayloads, parseJobPayload } from '../jobs/job-payloads';
import { JobHandler, JobQueue } from '../jobs/job-queue.port';
import { PacsCacheRepository } from './pacs-cache.repository';
import { PacsImportService } from './pacs-import.service';

const SECRET = 'unit-pacs-secret-0123456789';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const SR = '1.2.840.10008.5.1.4.1.1.88.33';

/** A PACS in memory: studies → instances (bytes), and every retrieval asked of it. */
class FakePacs {
  readonly retrieved: string[] = [];
  failOn: string | null = null;
  constructor(readonly studies: Map<string, { sop: string; sopClass: string; bytes: number }[]>) {}
  service(): DicomWebService {
    const fake: Pick<DicomWebService, 'source' | 'searchStudies' | 'searchInstances' | 'retrieveInstance'> = {
      source: (name: string) => {
        if (name !== 'pacs') throw new BadRequestException(`dicomweb.source "${name}" is not a configured DICOMweb source`);
        return { name, baseUrl: 'http://pacs', authorization: null };
      },
      searchStudies: async (_s: string, q: QidoQuery): Promise<DicomJson[]> =>
        [...this.studies.keys()].slice(0, q.limit).map((uid) => ({ '0020000D': { vr: 'UI', Value: [uid] } })),
      searchInstances: async (_s: string, q: QidoQuery): Promise<DicomJson[]> =>
        (this.studies.get(q.studyInstanceUid!) ?? []).map((i) => ({
          '0020000E': { vr: 'UI', Value: [`${q.studyInstanceUid}.1`] },
          '00080018': { vr: 'UI', Value: [i.sop] },
          '00080016': { vr: 'UI', Value: [i.sopClass] },
        })),
      retrieveInstance: async (_s: string, ref: InstanceRef) => {
        if (ref.sopInstanceUid === this.failOn) throw new BadGatewayException(`DICOMweb source "pacs" answered 500 for instance ${ref.sopInstanceUid}`);
        this.retrieved.push(ref.sopInstanceUid);
        const instance = this.studies.get(ref.studyInstanceUid)!.find((i) => i.sop === ref.sopInstanceUid)!;
        return Buffer.alloc(instance.bytes, 7);
      },
    };
    return fake as DicomWebService;
  }
}

/** The archive importer's part: runs the fetch step as its job would, and records what it was asked. */
class FakeArchive {
  readonly fetchedImports: FetchedImport[] = [];
  readonly queued: FetchedJob[] = [];
  readonly ranQueued: { jobId: string; fingerprint: string }[] = [];
  readonly failed: { jobId: string; message: string }[] = [];
  folders: string[] = [];
  /** The last in-process import's end. */
  done: Promise<IngestJobView> | null = null;
  constructor(private readonly secret = SECRET) {}
  async deidSecret(): Promise<string> {
    return this.secret;
  }
  async queueFetched(fetched: FetchedJob): Promise<IngestJobView> {
    this.queued.push(fetched);
    return { id: QUEUED_JOB, status: 'queued' } as IngestJobView;
  }
  async runQueuedFetched(jobId: string, fetched: FetchedImport): Promise<void> {
    this.ranQueued.push({ jobId, fingerprint: fetched.fingerprint });
    this.folders = await fetched.fetch(jobId, async () => undefined);
    await fetched.completed();
  }
  async failQueued(jobId: string, message: string): Promise<void> {
    this.failed.push({ jobId, message });
  }
  async startFetched(fetched: FetchedImport): Promise<{ job: IngestJobView; done: Promise<IngestJobView> }> {
    this.fetchedImports.push(fetched);
    const done = (async () => {
      this.folders = await fetched.fetch('job-1', async () => undefined);
      await fetched.completed();
      return { id: 'job-1', status: 'completed' } as IngestJobView;
    })();
    this.done = done;
    return { job: { id: 'job-1', status: 'running' } as IngestJobView, done };
  }
}

const QUEUED_JOB = '0b0f5d2a-5c1e-4d7a-9a57-3e2b9f1e8c11';

/** The job queue's port: in-process (handlers registered, never used here) or shared (what is enqueued is recorded). */
class FakeQueue implements JobQueue {
  readonly handlers = new Map<JobName, JobHandler<JobName>>();
  readonly enqueued: { name: JobName; payload: unknown }[] = [];
  constructor(readonly distributed: boolean) {}
  handle<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
  }
  async assertRoom(): Promise<void> {}
  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    this.enqueued.push({ name, payload });
  }
  async counts() {
    return { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
  }
  onFinished(): void {}
}

const instances = (study: string, n: number, bytes = 100, sopClass = CT) =>
  Array.from({ length: n }, (_, i) => ({ sop: `${study}.1.${i + 1}`, sopClass, bytes }));

describe('PacsImportService', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pacs-cache-spec-'));
  });
  afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  function setup(pacs: FakePacs, env: Record<string, string> = {}, options: { distributed?: boolean; secret?: string } = {}) {
    const config = loadConfig({ DICOMWEB_CACHE_DIR: cacheDir, ...env });
    const archive = new FakeArchive(options.secret);
    const queue = new FakeQueue(options.distributed ?? false);
    const service = new PacsImportService(pacs.service(), archive as unknown as ArchiveImportService, new PacsCacheRepository(), config, queue);
    service.onModuleInit();
    return { service, archive, queue };
  }
  const filesIn = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : []);

  it('retrieves a study into keyed-hash names, never UIDs, and deletes it once imported', async () => {
    const pacs = new FakePacs(new Map([['1.2.3', instances('1.2.3', 3)]]));
    const { service, archive } = setup(pacs, { DICOMWEB_CACHE_KEEP: 'true' });
    await service.run({ source: 'pacs', studyInstanceUid: '1.2.3', dataset: 'hospital' });
    expect(pacs.retrieved).toEqual(['1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3']);
    const names = filesIn(cacheDir);
    expect(names).toHaveLength(4); // the study folder and its three instances
    expect(names.every((n) => /^[0-9a-f]{32}(\/[0-9a-f]{32}\.dcm)?$/.test(n))).toBe(true);
    expect(archive.folders).toEqual([names[0]]);
    expect(archive.fetchedImports[0]).toMatchObject({ format: 'dicomweb', dataset: 'hospital', studiesFound: 1, label: 'DICOMweb pacs: 1 study' });

    const { service: deleting } = setup(pacs);
    await deleting.run({ source: 'pacs', studyInstanceUid: '1.2.3', dataset: 'hospital' });
    expect(filesIn(cacheDir)).toEqual([]);
  });

  it('resumes: an interrupted retrieval keeps what it fetched, and the re-run fetches only the rest under the same job identity', async () => {
    const pacs = new FakePacs(new Map([['1.2.3', instances('1.2.3', 4)]]));
    pacs.failOn = '1.2.3.1.3';
    const first = setup(pacs);
    const failed = await first.service.run({ source: 'pacs', studyInstanceUid: '1.2.3', dataset: 'hospital' }).catch((e: Error) => e);
    // The job's reason names the study by position and the source, never a UID.
    expect((failed as Error).message).toBe('the study could not be retrieved: DICOMweb source "pacs" answered 500 for instance (uid)');
    expect(pacs.retrieved).toEqual(['1.2.3.1.1', '1.2.3.1.2']);
    pacs.failOn = null;
    const second = setup(pacs);
    await second.service.run({ source: 'pacs', studyInstanceUid: '1.2.3', dataset: 'hospital' });
    expect(pacs.retrieved).toEqual(['1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3', '1.2.3.1.4']);
    expect(second.archive.fetchedImports[0].fingerprint).toBe(first.archive.fetchedImports[0].fingerprint);
  });

  it('evicts the oldest other studies when the cache would pass its bound, and fails when the request alone does not fit', async () => {
    const pacs = new FakePacs(
      new Map([
        ['1.2.1', instances('1.2.1', 2, 600_000)],
        ['1.2.2', instances('1.2.2', 2, 600_000)],
        ['1.2.9', instances('1.2.9', 4, 600_000)],
      ]),
    );
    const env = { DICOMWEB_CACHE_KEEP: 'true', DICOMWEB_CACHE_MAX_BYTES: String(2 * 1024 ** 2) };
    await setup(pacs, env).service.run({ source: 'pacs', studyInstanceUid: '1.2.1', dataset: 'd' });
    const firstFolder = filesIn(cacheDir)[0];
    await new Promise((resolve) => setTimeout(resolve, 20));
    await setup(pacs, env).service.run({ source: 'pacs', studyInstanceUid: '1.2.2', dataset: 'd' });
    const folders = () => fs.readdirSync(cacheDir).sort();
    // 2.4 MB would pass 2 MiB: the older study went.
    expect(folders()).toHaveLength(1);
    expect(folders()).not.toContain(firstFolder);
    const tooBig = await setup(pacs, env)
      .service.run({ source: 'pacs', studyInstanceUid: '1.2.9', dataset: 'd' })
      .catch((e: Error) => e);
    expect((tooBig as Error).message).toMatch(/do not fit DICOMWEB_CACHE_MAX_BYTES/);
  });

  it('checks the request before any job: unknown source, unknown study, a study of reports only, a query finding none or too many', async () => {
    const many = new Map(Array.from({ length: 101 }, (_, i) => [`1.3.${i + 1}`, instances(`1.3.${i + 1}`, 1)] as const));
    const pacs = new FakePacs(
      new Map([
        ['1.2.3', instances('1.2.3', 1)],
        ['1.2.8', instances('1.2.8', 2, 10, SR)],
      ]),
    );
    const { service, archive } = setup(pacs);
    const refused = (request: Parameters<PacsImportService['start']>[0]) => service.start(request).catch((e: Error) => e);
    expect(await refused({ source: 'other', studyInstanceUid: '1.2.3', dataset: 'd' })).toBeInstanceOf(BadRequestException);
    expect(await refused({ source: 'pacs', studyInstanceUid: '1.2.404', dataset: 'd' })).toEqual(
      new NotFoundException('study 1.2.404 not found on DICOMweb source "pacs"'),
    );
    expect(await refused({ source: 'pacs', studyInstanceUid: '1.2.8', dataset: 'd' })).toBeInstanceOf(UnprocessableEntityException);
    expect(await refused({ source: 'pacs', query: {}, dataset: 'd' })).toBeInstanceOf(BadRequestException);
    const none = setup(new FakePacs(new Map())).service;
    expect(await none.start({ source: 'pacs', query: { patientId: 'X' }, dataset: 'd' }).catch((e: Error) => e)).toEqual(
      new NotFoundException('query matches no study on DICOMweb source "pacs"'),
    );
    const crowded = setup(new FakePacs(many)).service;
    const tooMany = await crowded.start({ source: 'pacs', query: { patientId: 'X' }, dataset: 'd' }).catch((e: Error) => e);
    expect(tooMany).toBeInstanceOf(BadRequestException);
    expect((tooMany as Error).message).toMatch(/more than 100 studies/);
    expect(archive.fetchedImports).toEqual([]);
  });

  it('imports every study a query finds (up to 100) as one job', async () => {
    const pacs = new FakePacs(
      new Map([
        ['1.2.1', instances('1.2.1', 1)],
        ['1.2.2', instances('1.2.2', 2)],
      ]),
    );
    const { service, archive } = setup(pacs);
    await service.run({ source: 'pacs', query: { patientId: 'X' }, dataset: 'd' });
    expect(archive.fetchedImports).toHaveLength(1);
    expect(archive.fetchedImports[0]).toMatchObject({ studiesFound: 2, label: 'DICOMweb pacs: 2 studies' });
    expect(archive.folders).toHaveLength(2);
    expect(pacs.retrieved).toHaveLength(3);
  });

  describe('on a shared job queue (REDIS_URL)', () => {
    const twoStudies = () =>
      new FakePacs(
        new Map([
          ['1.2.840.77.1', instances('1.2.840.77.1', 1)],
          ['1.2.840.77.2', instances('1.2.840.77.2', 2)],
        ]),
      );
    /** What the api enqueued, as a worker reads it back from Redis (JSON, checked field by field). */
    const readBack = (queue: FakeQueue) => {
      expect(queue.enqueued.map((e) => e.name)).toEqual(['pacs-import']);
      return parseJobPayload('pacs-import', JSON.parse(JSON.stringify(queue.enqueued[0].payload)));
    };
    const worker = (pacs: FakePacs, secret?: string) => {
      const side = setup(pacs, {}, { distributed: true, secret });
      return { ...side, run: (payload: unknown) => side.queue.handlers.get('pacs-import')!(payload as never, { attempt: 1, finalAttempt: false }) };
    };

    it('checks and queues the request on the api without fetching; the payload names no study or patient; a worker retrieves and imports the same job', async () => {
      const pacs = twoStudies();
      const api = setup(pacs, {}, { distributed: true });
      const { job } = await api.service.submit({ source: 'pacs', query: { patientId: 'PM-424242' }, dataset: 'hospital' });
      expect(job).toMatchObject({ id: QUEUED_JOB, status: 'queued' });
      expect(api.archive.queued).toEqual([
        expect.objectContaining({ format: 'dicomweb', dataset: 'hospital', studiesFound: 2, label: 'DICOMweb pacs: 2 studies' }),
      ]);
      expect(api.archive.fetchedImports).toEqual([]);
      expect(pacs.retrieved).toEqual([]);
      const payload = readBack(api.queue);
      expect(payload).toMatchObject({ jobId: QUEUED_JOB, source: 'pacs', dataset: 'hospital' });
      expect(JSON.stringify(payload)).not.toMatch(/1\.2\.840|PM-424242/);

      const onWorker = worker(pacs);
      await onWorker.run(payload);
      expect(onWorker.archive.failed).toEqual([]);
      // The same job identity as the api computed (and as an in-process run of the same request would).
      expect(onWorker.archive.ranQueued).toEqual([{ jobId: QUEUED_JOB, fingerprint: api.archive.queued[0].fingerprint }]);
      expect(pacs.retrieved.sort()).toEqual(['1.2.840.77.1.1.1', '1.2.840.77.2.1.1', '1.2.840.77.2.1.2']);
      expect(onWorker.archive.folders).toHaveLength(2);
      const inProcess = setup(pacs);
      await inProcess.service.run({ source: 'pacs', query: { patientId: 'PM-424242' }, dataset: 'hospital' });
      expect(inProcess.archive.fetchedImports[0].fingerprint).toBe(api.archive.queued[0].fingerprint);
    });

    it('a second delivery fetches nothing the first one cached', async () => {
      const pacs = twoStudies();
      const api = setup(pacs, { DICOMWEB_CACHE_KEEP: 'true' }, { distributed: true });
      await api.service.submit({ source: 'pacs', studyInstanceUid: '1.2.840.77.2', dataset: 'hospital' });
      const payload = readBack(api.queue);
      pacs.failOn = '1.2.840.77.2.1.2';
      await expect(worker(pacs).run(payload)).rejects.toThrow('the study could not be retrieved: DICOMweb source "pacs" answered 500 for instance (uid)');
      expect(pacs.retrieved).toEqual(['1.2.840.77.2.1.1']);
      pacs.failOn = null;
      await worker(pacs).run(payload);
      expect(pacs.retrieved).toEqual(['1.2.840.77.2.1.1', '1.2.840.77.2.1.2']);
    });

    it('answers a bad request on the api before any job or payload exists', async () => {
      const api = setup(twoStudies(), {}, { distributed: true });
      expect(await api.service.submit({ source: 'pacs', studyInstanceUid: '1.2.404', dataset: 'd' }).catch((e: Error) => e)).toEqual(
        new NotFoundException('study 1.2.404 not found on DICOMweb source "pacs"'),
      );
      expect(await api.service.submit({ source: 'other', studyInstanceUid: '1.2.840.77.1', dataset: 'd' }).catch((e: Error) => e)).toBeInstanceOf(
        BadRequestException,
      );
      expect(api.archive.queued).toEqual([]);
      expect(api.queue.enqueued).toEqual([]);
    });

    it('fails the job, naming why, on a worker that cannot open the studies (another DEID_SECRET) or does not know the source', async () => {
      const pacs = twoStudies();
      const api = setup(pacs, {}, { distributed: true });
      await api.service.submit({ source: 'pacs', studyInstanceUid: '1.2.840.77.1', dataset: 'd' });
      const payload = readBack(api.queue);
      const otherSecret = worker(pacs, 'another-secret-0123456789');
      await otherSecret.run(payload);
      expect(otherSecret.archive.failed).toEqual([{ jobId: QUEUED_JOB, message: expect.stringMatching(/cannot be opened: is DEID_SECRET the same/) }]);
      const unknownSource = worker(pacs);
      await unknownSource.run({ ...payload, source: 'elsewhere' });
      expect(unknownSource.archive.failed).toEqual([{ jobId: QUEUED_JOB, message: expect.stringMatching(/"elsewhere" is not a configured DICOMweb source/) }]);
      expect([...otherSecret.archive.ranQueued, ...unknownSource.archive.ranQueued]).toEqual([]);
      expect(pacs.retrieved).toEqual([]);
    });

    it('without a shared queue, submit runs the import in this process as before', async () => {
      const pacs = twoStudies();
      const { service, archive, queue } = setup(pacs);
      expect((await service.submit({ source: 'pacs', studyInstanceUid: '1.2.840.77.1', dataset: 'd' })).job.status).toBe('running');
      expect(queue.enqueued).toEqual([]);
      expect(archive.fetchedImports).toHaveLength(1);
      await archive.done;
      expect(pacs.retrieved).toEqual(['1.2.840.77.1.1.1']);
    });
  });
});
