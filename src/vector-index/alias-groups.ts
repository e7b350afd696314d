/**
 * Embeddings closer than this cosine distance (cosine ≥ 1 − 1e-6) share one graph point.
 *
 * Many identical points break an HNSW graph: hnswlib's neighbour heuristic links a newcomer to one of
 * the copies only, and their neighbour lists fill with each other, leaving lesions unreachable. The
 * bound must catch every copy and nothing else. Measured on the default encoder and the real samples
 * (docs/BENCHMARKS.md, "Duplicate embeddings"): the same patch encoded in another batch comes back
 * bit-identical (distance 0), and the closest two different patches are 2.7e-3 apart, so 1e-6 leaves
 * three orders of magnitude on that side. It is compared in float64 against the stored point, not
 * with hnswlib's float32 distance, whose noise for a vector against itself reaches 1.2e-6 at 551-d.
 * An alias reports its point's similarity: within ‖a − b‖ ≤ √(2·1e-6) ≈ 1.4e-3 of its own.
 */
export const DUPLICATE_DISTANCE = 1e-6;

/** Where a snapshot keeps its alias groups: beside the graph file. */
export function aliasFileOf(graphFile: string): string {
  return `${graphFile}.aliases`;
}

const MAGIC = 'HNSWALI1';
const HEADER_BYTES = 16;

/**
 * Which lesion labels share which graph point. Points have their own ids (not lesion labels), so a
 * point outlives the lesion that created it while other lesions still alias it: deleting any member
 * leaves the point to the others, and the point goes with its last member. Members are kept sorted,
 * so results list a group's lesions in label order (as exact search breaks ties).
 */
export class AliasGroups {
  private readonly pointByLabel = new Map<number, number>();
  private readonly membersByPoint = new Map<number, number[]>();
  private nextPoint = 0;

  /** Lesion labels held. */
  get labelCount(): number {
    return this.pointByLabel.size;
  }

  /** Live graph points. */
  get pointCount(): number {
    return this.membersByPoint.size;
  }

  pointOf(label: number): number | undefined {
    return this.pointByLabel.get(label);
  }

  /** The labels sharing a point, in ascending order (empty for an unknown point). */
  members(point: number): readonly number[] {
    return this.membersByPoint.get(point) ?? [];
  }

  labels(): number[] {
    return [...this.pointByLabel.keys()];
  }

  points(): number[] {
    return [...this.membersByPoint.keys()];
  }

  largestGroup(): number {
    let largest = 0;
    for (const members of this.membersByPoint.values()) largest = Math.max(largest, members.length);
    return largest;
  }

  /** A fresh point id, never one used before in this graph (deleted points keep theirs in hnswlib). */
  newPoint(): number {
    return this.nextPoint++;
  }

  /** Puts a label on a point; the label must not be on another point. */
  join(label: number, point: number): void {
    if (this.pointByLabel.has(label)) throw new Error(`label ${label} is already on point ${this.pointByLabel.get(label)}`);
    this.pointByLabel.set(label, point);
    const members = this.membersByPoint.get(point);
    if (!members) {
      this.membersByPoint.set(point, [label]);
      if (point >= this.nextPoint) this.nextPoint = point + 1;
      return;
    }
    // Labels mostly arrive in ascending order: append, else insert in place.
    if (label > members[members.length - 1]) members.push(label);
    else members.splice(lowerBound(members, label), 0, label);
  }

  /** Takes a label off its point; `emptied` says the point has no member left (and must go). */
  leave(label: number): { point: number; emptied: boolean } | null {
    const point = this.pointByLabel.get(label);
    if (point === undefined) return null;
    this.pointByLabel.delete(label);
    const members = this.membersByPoint.get(point)!;
    members.splice(lowerBound(members, label), 1);
    if (members.length) return { point, emptied: false };
    this.membersByPoint.delete(point);
    return { point, emptied: true };
  }

  /** "HNSWALI1", next point id, pair count, then (label, point) pairs: int32/uint32 little-endian. */
  serialize(): Buffer {
    const out = Buffer.alloc(HEADER_BYTES + this.pointByLabel.size * 8);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(this.nextPoint, 8);
    out.writeUInt32LE(this.pointByLabel.size, 12);
    let offset = HEADER_BYTES;
    for (const [point, members] of this.membersByPoint) {
      for (const label of members) {
        out.writeInt32LE(label, offset);
        out.writeUInt32LE(point, offset + 4);
        offset += 8;
      }
    }
    return out;
  }

  static parse(bytes: Buffer): AliasGroups {
    if (bytes.length < HEADER_BYTES || bytes.toString('latin1', 0, 8) !== MAGIC) throw new Error('not an alias table');
    const count = bytes.readUInt32LE(12);
    if (bytes.length !== HEADER_BYTES + count * 8) throw new Error(`alias table holds ${bytes.length} bytes, expected ${HEADER_BYTES + count * 8}`);
    const groups = new AliasGroups();
    // Written group by group in label order, so each join appends (any other order still sorts).
    for (let offset = HEADER_BYTES; offset < bytes.length; offset += 8) groups.join(bytes.readInt32LE(offset), bytes.readUInt32LE(offset + 4));
    groups.nextPoint = Math.max(groups.nextPoint, bytes.readUInt32LE(8));
    return groups;
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
