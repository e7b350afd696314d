import { LesionRecord, ParsedRow } from './lesion-record';

/**
 * DeepLesion tells lesions sharing a key slice apart by their order in the file. The parser only says
 * which key slice a row is on (`keySliceKey`); the ordinal is given here, a batch at a time, so an import
 * holds counts for one batch and keeps the running counts per key slice in PostgreSQL (committed with the
 * batch's rows and cursor), not one counter per distinct key slice of the whole file in memory.
 */

/**
 * Numbers the records of one batch within it (in order, from 0 per key slice) and returns how many each
 * key slice holds. Records without a key are left as they are (their source gives lesion_in_image).
 */
export function numberWithinBatch(records: LesionRecord[]): { numbered: LesionRecord[]; counts: Map<number, number> } {
  const counts = new Map<number, number>();
  const numbered = records.map((record) => {
    if (record.keySliceKey === undefined) return record;
    const ordinal = counts.get(record.keySliceKey) ?? 0;
    counts.set(record.keySliceKey, ordinal + 1);
    return { ...record, lesionInImage: ordinal };
  });
  return { numbered, counts };
}

/** Adds to each keyed record the count of its key slice in earlier batches (`before`: none means 0). */
export function offsetByEarlierBatches(record: LesionRecord, before: ReadonlyMap<number, number>): LesionRecord {
  if (record.keySliceKey === undefined) return record;
  return { ...record, lesionInImage: record.lesionInImage + (before.get(record.keySliceKey) ?? 0) };
}

/** A whole file held in memory (tests, evaluation): every valid row numbered in file order. */
export function numberInFileOrder(rows: ParsedRow[]): ParsedRow[] {
  const valid = rows.filter((row): row is Extract<ParsedRow, { ok: true }> => row.ok).map((row) => row.record);
  const { numbered } = numberWithinBatch(valid);
  let next = 0;
  return rows.map((row) => (row.ok ? { ok: true, record: numbered[next++] } : row));
}
