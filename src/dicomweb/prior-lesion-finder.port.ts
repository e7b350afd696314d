/** The patient a referenced instance names: identifying, so it goes into the port and nowhere else. */
export interface PatientReference {
  issuerOfPatientId: string | null;
  patientId: string;
}

/** One archived lesion of the same patient, as an answer may carry it (pseudonymous: no source UID or ID). */
export interface PriorLesion {
  id: number;
  dataset: string;
  patient: { index: number };
  /** The study date as stored (shifted per patient by the de-identification; intervals stay exact). */
  study: { index: number; date: string | null };
  diameters: { longAxisMm: number | null; shortAxisMm: number | null };
  coarseType: { code: number; name: string };
  /** The growth track the lesion belongs to, when one has been built. */
  trackId: number | null;
}

/**
 * The archived lesions of the patient a referenced instance belongs to (the same patient's priors),
 * found through the de-identification mapping: the keyed hash of (IssuerOfPatientID, PatientID) gives
 * the pseudonymous patient key the archive stores. The identifying values never leave this lookup.
 */
export interface PriorLesionFinder {
  /**
   * The patient's archived lesions, earliest study first, in `datasets` only when given (a dataset-scoped
   * caller); null when the lookup cannot run here (no de-identification secret).
   */
  findPriors(patient: PatientReference, datasets: readonly string[] | null): Promise<PriorLesion[] | null>;
}

export const PRIOR_LESION_FINDER = Symbol('PRIOR_LESION_FINDER');

/** Finds nothing and says the lookup is unavailable (a deployment without de-identification; tests). */
export class NoPriorLesionFinder implements PriorLesionFinder {
  async findPriors(): Promise<null> {
    return null;
  }
}
