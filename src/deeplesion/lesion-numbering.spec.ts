import { LesionRecord, ParsedRow } from './lesion-record';
import { numberInFileOrder, numberWithinBatch, offsetByEarlierBatches } from './lesion-numbering';

const record = (line: number, keySliceKey?: number, lesionInImage = 0): LesionRecord => ({ line, keySliceKey, lesionInImage }) as LesionRecord;

describe('lesion numbering per key slice', () => {
  it('numbers a batch in order from 0 per key slice and counts each key slice', () => {
    const { numbered, counts } = numberWithinBatch([record(2, 7), record(3, 9), record(4, 7), record(5, 7)]);
    expect(numbered.map((r) => r.lesionInImage)).toEqual([0, 0, 1, 2]);
    expect([...counts]).toEqual([
      [7, 3],
      [9, 1],
    ]);
  });

  it('leaves records whose source gives lesion_in_image as they are', () => {
    const { numbered, counts } = numberWithinBatch([record(2, undefined, 4)]);
    expect(numbered[0].lesionInImage).toBe(4);
    expect(counts.size).toBe(0);
  });

  it('continues after the counts of earlier batches, as one pass over the whole file would', () => {
    const file = [record(2, 7), record(3, 9), record(4, 7), record(5, 9), record(6, 7)];
    const whole = numberWithinBatch(file).numbered.map((r) => r.lesionInImage);
    const running = new Map<number, number>();
    const batched: number[] = [];
    for (const batch of [file.slice(0, 2), file.slice(2, 3), file.slice(3)]) {
      const { numbered, counts } = numberWithinBatch(batch);
      const before = new Map(running);
      batched.push(...numbered.map((r) => offsetByEarlierBatches(r, before).lesionInImage));
      for (const [key, n] of counts) running.set(key, (running.get(key) ?? 0) + n);
    }
    expect(batched).toEqual(whole);
    expect(whole).toEqual([0, 0, 1, 1, 2]);
  });

  it('skips bad rows when numbering a whole file', () => {
    const rows: ParsedRow[] = [
      { ok: true, record: record(2, 7) },
      { ok: false, line: 3, message: 'bad' },
      { ok: true, record: record(4, 7) },
    ];
    expect(numberInFileOrder(rows).map((r) => (r.ok ? r.record.lesionInImage : r.message))).toEqual([0, 'bad', 1]);
  });
});
