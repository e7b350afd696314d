import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadRequestException, BadGatewayException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ArchiveImportService, FetchedImport } from '../archive/archive-import.service';
import { loadConfig } from '../config/app-config';
import { DicomJson, DicomWebService, InstanceRef, QidoQuery } from '../dicomweb/dicomweb.service';
import { IngestJobView } from '../ingest-jobs/ingest.types';
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
  folders: string[] = [];
  async deidSecret(): Promise<string> {
    return SECRET;
  }
  async startFetched(fetched: FetchedImport): Promise<{ job: IngestJobView; done: Promise<IngestJobView> }> {
    this.fetchedImports.push(fetched);
    const done = (async () => {
      this.folders = await fetched.fetch('job-1', async () => undefined);
      await fetched.completed();
      return { id: 'job-1', status: 'completed' } as IngestJobView;
    })();
    return { job: { id: 'job-1', status: 'running' } as IngestJobView, done };
  }
}

const instances = (study: string, n: number, bytes = 100, sopClass = CT) =>
  Array.from({ length: n }, (_, i) => ({ sop: `${study}.1.${i + 1}`, sopClass, bytes }));

describe('PacsImportService', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pacs-cache-spec-'));
  });
  afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  function setup(pacs: FakePacs, env: Record<string, string> = {}) {
    const config = loadConfig({ DICOMWEB_CACHE_DIR: cacheDir, ...env });
    const archive = new FakeArchive();
    const service = new PacsImportService(pacs.service(), archive as unknown as ArchiveImportService, new PacsCacheRepository(), config);
    return { service, archive };
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
});
