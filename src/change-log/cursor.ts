/** What another process must re-read: an embedding label, a lesion, or a global version. */
export type ChangeKind = 'embedding' | 'lesion' | 'labels' | 'vocabulary' | 'model';

export interface ChangeEntry {
  position: number;
  kind: ChangeKind;
  /** embedding: the label; lesion: the lesion id; null otherwise. */
  key: number | null;
  modelId: string | null;
  createdAt: Date;
}

/**
 * Positions not (yet) visible below the cursor: taken by a transaction that was still open when the
 * log was read, or by one that rolled back. `until` is the read's snapshot xmax: once a later
 * snapshot's xmin reaches it, every transaction that could own the gap has ended, so what is still
 * missing was rolled back and is forgotten.
 */
export interface LogGap {
  from: number;
  to: number;
  until: number;
}

export interface LogCursor {
  position: number;
  gaps: LogGap[];
}

/** One read of the log: entries after the cursor and in its gaps, with the read's snapshot bounds. */
export interface LogRead {
  entries: ChangeEntry[];
  xmin: number;
  xmax: number;
}

/**
 * Moves the cursor over a read. Sequence positions are taken in insert order but become visible in
 * commit order, so a cursor that only remembered the highest position would skip a transaction
 * that committed after a later one; the gaps it remembers are read again until filled or expired.
 * Returns the entries to apply, in position order. Pure.
 */
export function advanceCursor(cursor: LogCursor, read: LogRead, maxGaps = 1000): { cursor: LogCursor; entries: ChangeEntry[]; droppedGaps: number } {
  const entries = [...read.entries].sort((a, b) => a.position - b.position);
  const filled = entries.filter((e) => e.position <= cursor.position).map((e) => e.position);
  let gaps: LogGap[] = [];
  for (const gap of cursor.gaps) {
    if (read.xmin >= gap.until) continue;
    gaps.push(...splitGap(gap, filled));
  }
  let position = cursor.position;
  for (const e of entries) {
    if (e.position <= cursor.position) continue;
    if (e.position > position + 1) gaps.push({ from: position + 1, to: e.position - 1, until: read.xmax });
    position = e.position;
  }
  let droppedGaps = 0;
  if (gaps.length > maxGaps) {
    droppedGaps = gaps.length - maxGaps;
    gaps = gaps.slice(droppedGaps);
  }
  const unique = entries.filter((e, i) => i === 0 || e.position !== entries[i - 1].position);
  return { cursor: { position, gaps }, entries: unique, droppedGaps };
}

/** The parts of a gap left after some of its positions became visible. */
function splitGap(gap: LogGap, filled: number[]): LogGap[] {
  const parts: LogGap[] = [];
  let from = gap.from;
  for (const p of filled) {
    if (p < from || p > gap.to) continue;
    if (p > from) parts.push({ from, to: p - 1, until: gap.until });
    from = p + 1;
  }
  if (from <= gap.to) parts.push({ from, to: gap.to, until: gap.until });
  return parts;
}

/** Every entry up to this position has been applied: what a snapshot can claim to contain. */
export function appliedThrough(cursor: LogCursor): number {
  return cursor.gaps.reduce((low, gap) => Math.min(low, gap.from - 1), cursor.position);
}
