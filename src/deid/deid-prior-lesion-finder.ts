import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PatientReference, PriorLesion, PriorLesionFinder } from '../dicomweb/prior-lesion-finder.port';
import { COARSE_TYPES } from '../deeplesion/coarse-types';
import { patientKeyHash } from './pseudonym';
import { PriorLesionRow } from './prior-lesions.repository';

/** What the finder needs from storage (PriorLesionsRepository; typed in-memory ones in specs). */
export interface PriorLesionStore {
  secret(configured: string | null, embedded: boolean, dataDir: string): Promise<string | null>;
  lesionsOfPatientKey(keyHash: string, datasets: readonly string[] | null, limit: number): Promise<PriorLesionRow[]>;
}

export const PRIOR_LESION_STORE = Symbol('PRIOR_LESION_STORE');

/** An answer lists at most this many priors (earliest first). */
export const MAX_PRIORS = 100;

/**
 * The prior-lesion port over the de-identification mapping: the header's (issuer, Patient ID) → the keyed
 * patient hash the archive importer stored (patient_pseudonym, one row per dataset) → that patient's
 * lesions. The identifying values are hashed here and go nowhere else: not into answers, logs or errors.
 */
@Injectable()
export class DeidPriorLesionFinder implements PriorLesionFinder {
  constructor(
    @Inject(PRIOR_LESION_STORE) private readonly store: PriorLesionStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async findPriors(patient: PatientReference, datasets: readonly string[] | null): Promise<PriorLesion[] | null> {
    const secret = await this.store.secret(this.config.deidSecret, this.config.databaseUrl === null, this.config.dataDir);
    if (!secret) return null;
    if (datasets !== null && datasets.length === 0) return [];
    // The same key the importer computes (deidentify): trimmed values, an absent issuer as ''.
    const keyHash = patientKeyHash(secret, patient.issuerOfPatientId ?? '', patient.patientId);
    const rows = await this.store.lesionsOfPatientKey(keyHash, datasets, MAX_PRIORS);
    return rows.map((r) => ({
      id: r.id,
      dataset: r.dataset,
      patient: { index: r.patientIndex },
      study: { index: r.studyIndex, date: r.studyDate },
      diameters: { longAxisMm: r.longAxisMm, shortAxisMm: r.shortAxisMm },
      coarseType: { code: r.coarseType, name: COARSE_TYPES[r.coarseType] ?? 'unknown' },
      trackId: r.trackId,
    }));
  }
}
