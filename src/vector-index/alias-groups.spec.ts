import { aliasFileOf, AliasGroups } from './alias-groups';

describe('AliasGroups', () => {
  it('keeps each point’s labels sorted, frees a point with its last label, and never reuses a point id', () => {
    const groups = new AliasGroups();
    const a = groups.newPoint();
    groups.join(9, a);
    groups.join(3, a);
    groups.join(5, a);
    const b = groups.newPoint();
    groups.join(4, b);
    expect(groups.members(a)).toEqual([3, 5, 9]);
    expect(groups.pointOf(5)).toBe(a);
    expect(groups.labelCount).toBe(4);
    expect(groups.pointCount).toBe(2);
    expect(groups.largestGroup()).toBe(3);
    expect(() => groups.join(5, b)).toThrow(/already on point/);

    // The label that created the point goes; the point stays with the others.
    expect(groups.leave(9)).toEqual({ point: a, emptied: false });
    expect(groups.leave(3)).toEqual({ point: a, emptied: false });
    expect(groups.leave(5)).toEqual({ point: a, emptied: true });
    expect(groups.leave(5)).toBeNull();
    expect(groups.members(a)).toEqual([]);
    expect(groups.pointCount).toBe(1);
    expect(groups.newPoint()).toBe(2);
  });

  it('round-trips through its file format and refuses anything else', () => {
    const groups = new AliasGroups();
    const p = groups.newPoint();
    for (const label of [7, 1, 2_000_000_000]) groups.join(label, p);
    groups.join(8, groups.newPoint());
    groups.newPoint();
    const copy = AliasGroups.parse(groups.serialize());
    expect(copy.members(p)).toEqual([1, 7, 2_000_000_000]);
    expect(copy.pointOf(8)).toBe(1);
    expect(copy.labels().sort((x, y) => x - y)).toEqual([1, 7, 8, 2_000_000_000]);
    // Point 2 was handed out (and may sit deleted in the graph): the copy must not hand it out again.
    expect(copy.newPoint()).toBe(3);

    expect(() => AliasGroups.parse(Buffer.from('not an alias table'))).toThrow(/not an alias table/);
    expect(() => AliasGroups.parse(groups.serialize().subarray(0, 20))).toThrow(/expected/);
    expect(aliasFileOf('/x/a.hnsw')).toBe('/x/a.hnsw.aliases');
  });
});
