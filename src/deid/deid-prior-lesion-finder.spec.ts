import { loadConfig } from '../config/app-config';
import { DeidPriorLesionFinder, MAX_PRIORS, PriorLesionStore } from './deid-prior-lesion-finder';
import { patientKeyHash } from './pseudonym';
import { PriorLesionRow } from './prior-lesions.repository';

const SECRET = 'unit-deid-secret-0123456789';

/** A typed in-memory store: rows by (dataset, key hash), and every call it got. */
class InMemoryPriorStore implements PriorLesionStore {
  readonly calls: { keyHash: string; datasets: readonly string[] | null; limit: number }[] = [];
  constructor(
    private readonly rows: (PriorLesionRow & { keyHash: string })[],
    private readonly storedSecret: string | null = SECRET,
  ) {}
  async secret(configured: string | null): Promise<string | null> {
    return configured ?? this.storedSecret;
  }
  async lesionsOfPatientKey(keyHash: string, datasets: readonly string[] | null, limit: number): Promise<PriorLesionRow[]> {
    this.calls.push({ keyHash, datasets, limit });
    return this.rows
      .filter((r) => r.keyHash === keyHash && (datasets === null || datasets.includes(r.dataset)))
      .slice(0, limit)
      .map(({ keyHash: _ignored, ...row }) => row);
  }
}

function row(id: number, dataset: string, keyHash: string, extra: Partial<PriorLesionRow> = {}): PriorLesionRow & { keyHash: string } {
  return {
    id,
    dataset,
    keyHash,
    patientIndex: 3,
    studyIndex: 1,
    studyDate: '2012-03-04',
    longAxisMm: 21.5,
    shortAxisMm: 14,
    coarseType: 4,
    trackId: null,
    ...extra,
  };
}

describe('DeidPriorLesionFinder', () => {
  const config = loadConfig({ DEID_SECRET: SECRET, DATABASE_URL: 'postgres://x@127.0.0.1/x' });
  const key = patientKeyHash(SECRET, 'GENERAL-HOSP', 'QZ-100200');

  it('finds the patient by the keyed hash the importer stores, across datasets, as pseudonymous priors', async () => {
    const store = new InMemoryPriorStore([
      row(1, 'hospital', key, { trackId: 9 }),
      row(2, 'second', key, { studyIndex: 2, studyDate: null, coarseType: 99 }),
      row(3, 'hospital', 'f'.repeat(64)),
    ]);
    const priors = await new DeidPriorLesionFinder(store, config).findPriors({ issuerOfPatientId: 'GENERAL-HOSP', patientId: 'QZ-100200' }, null);
    expect(store.calls).toEqual([{ keyHash: key, datasets: null, limit: MAX_PRIORS }]);
    expect(priors).toEqual([
      {
        id: 1,
        dataset: 'hospital',
        patient: { index: 3 },
        study: { index: 1, date: '2012-03-04' },
        diameters: { longAxisMm: 21.5, shortAxisMm: 14 },
        coarseType: { code: 4, name: 'liver' },
        trackId: 9,
      },
      {
        id: 2,
        dataset: 'second',
        patient: { index: 3 },
        study: { index: 2, date: null },
        diameters: { longAxisMm: 21.5, shortAxisMm: 14 },
        coarseType: { code: 99, name: 'unknown' },
        trackId: null,
      },
    ]);
    expect(JSON.stringify(priors)).not.toMatch(/QZ-100200|GENERAL-HOSP/);
  });

  it('hashes an absent issuer as the importer does (empty), and another issuer is another patient', async () => {
    const noIssuer = patientKeyHash(SECRET, '', 'QZ-100200');
    const store = new InMemoryPriorStore([row(5, 'hospital', noIssuer)]);
    const finder = new DeidPriorLesionFinder(store, config);
    expect((await finder.findPriors({ issuerOfPatientId: null, patientId: 'QZ-100200' }, null))?.map((p) => p.id)).toEqual([5]);
    expect(await finder.findPriors({ issuerOfPatientId: 'OTHER', patientId: 'QZ-100200' }, null)).toEqual([]);
  });

  it("limits the priors to a scoped caller's datasets, and an empty scope asks nothing", async () => {
    const store = new InMemoryPriorStore([row(1, 'hospital', key), row(2, 'second', key)]);
    const finder = new DeidPriorLesionFinder(store, config);
    expect((await finder.findPriors({ issuerOfPatientId: 'GENERAL-HOSP', patientId: 'QZ-100200' }, ['second']))?.map((p) => p.id)).toEqual([2]);
    expect(await finder.findPriors({ issuerOfPatientId: 'GENERAL-HOSP', patientId: 'QZ-100200' }, [])).toEqual([]);
    expect(store.calls.map((c) => c.datasets)).toEqual([['second']]);
  });

  it('is unavailable (null) without a secret: a shared database with no DEID_SECRET', async () => {
    const store = new InMemoryPriorStore([row(1, 'hospital', key)], null);
    const unset = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/x' });
    expect(await new DeidPriorLesionFinder(store, unset).findPriors({ issuerOfPatientId: 'GENERAL-HOSP', patientId: 'QZ-100200' }, null)).toBeNull();
    expect(store.calls).toEqual([]);
  });
});
