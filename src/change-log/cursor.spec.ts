import { advanceCursor, appliedThrough, ChangeEntry, LogCursor } from './cursor';

const entry = (position: number): ChangeEntry => ({ position, kind: 'embedding', key: position, modelId: 'm', createdAt: new Date(0) });

describe('advanceCursor', () => {
  it('moves past visible entries and remembers the positions it could not see yet', () => {
    const { cursor, entries } = advanceCursor({ position: 10, gaps: [] }, { entries: [entry(14), entry(11), entry(12)], xmin: 100, xmax: 105 });
    expect(entries.map((e) => e.position)).toEqual([11, 12, 14]);
    expect(cursor).toEqual({ position: 14, gaps: [{ from: 13, to: 13, until: 105 }] });
    expect(appliedThrough(cursor)).toBe(12);
  });

  it('applies an entry that commits after a later one (the gap fills) and then forgets the gap', () => {
    const start: LogCursor = { position: 14, gaps: [{ from: 13, to: 13, until: 105 }] };
    const { cursor, entries } = advanceCursor(start, { entries: [entry(13)], xmin: 101, xmax: 106 });
    expect(entries.map((e) => e.position)).toEqual([13]);
    expect(cursor).toEqual({ position: 14, gaps: [] });
    expect(appliedThrough(cursor)).toBe(14);
  });

  it('keeps an unfilled gap while its transaction may still be open, and drops it once every such transaction ended', () => {
    const start: LogCursor = { position: 20, gaps: [{ from: 13, to: 16, until: 105 }] };
    const open = advanceCursor(start, { entries: [entry(14)], xmin: 104, xmax: 110 });
    expect(open.cursor.gaps).toEqual([
      { from: 13, to: 13, until: 105 },
      { from: 15, to: 16, until: 105 },
    ]);
    const rolledBack = advanceCursor(open.cursor, { entries: [], xmin: 105, xmax: 110 });
    expect(rolledBack.cursor).toEqual({ position: 20, gaps: [] });
  });

  it('bounds the gaps it remembers, giving up the oldest', () => {
    const entries = [entry(2), entry(4), entry(6), entry(8)];
    const { cursor, droppedGaps } = advanceCursor({ position: 0, gaps: [] }, { entries, xmin: 1, xmax: 2 }, 2);
    expect(droppedGaps).toBe(2);
    expect(cursor.gaps.map((g) => g.from)).toEqual([5, 7]);
  });
});
