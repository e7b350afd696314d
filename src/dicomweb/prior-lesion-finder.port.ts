/**
 * The archived lesions of the patient a referenced instance belongs to (the same patient's priors),
 * found through the de-identification mapping: the keyed hash of (IssuerOfPatientID, PatientID) gives
 * the pseudonymous patient key the archive stores. The identifying values never leave this lookup.
 */
export interface PriorLesionFinder {
  /** 'available' when the lookup is wired to the de-identification module. */
  readonly state: 'available' | 'unavailable';
  priorLesionIds(patient: { issuerOfPatientId: string | null; patientId: string }): Promise<number[]>;
}

export const PRIOR_LESION_FINDER = Symbol('PRIOR_LESION_FINDER');

/**
 * Until src/deid lands: finds nothing and says so.
 * TODO(issue 18): replace with a finder over src/deid's keyed patient hash (HMAC of issuer + Patient ID →
 * patient index) and the lesions of that patient; bind it to PRIOR_LESION_FINDER in DicomWebModule.
 */
export class NoPriorLesionFinder implements PriorLesionFinder {
  readonly state = 'unavailable' as const;
  async priorLesionIds(): Promise<number[]> {
    return [];
  }
}
