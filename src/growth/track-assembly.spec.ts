import { assembleTracks, AssemblyStudy } from './track-assembly';
import { findConflict, LinkConstraint } from './track-constraints';

/** Scores from a table "from>to": value; pairs not listed score 0.1 (clearly different lesions). */
const scorer = (table: Record<string, number>) => (from: number, to: number) => table[`${from}>${to}`] ?? 0.1;
const ids = (tracks: { lesionIds: number[] }[]) => tracks.map((t) => t.lesionIds).sort((a, b) => a[0] - b[0]);

describe('assembleTracks', () => {
  const studies: AssemblyStudy[] = [
    { studyId: 1, lesionIds: [1, 2] },
    { studyId: 2, lesionIds: [11, 12] },
  ];

  it('follows swapped lesions by optimal assignment, not greedy order', () => {
    // Lesion 1 looks a bit like both; greedy would give it 11 (0.9) and leave 2 with 12 (0.2, no link).
    const tracks = assembleTracks(studies, scorer({ '1>11': 0.9, '1>12': 0.85, '2>11': 0.8, '2>12': 0.2 }), []);
    expect(ids(tracks)).toEqual([
      [1, 12],
      [2, 11],
    ]);
    expect(tracks.flatMap((t) => t.links).every((l) => l.decidedBy === 'auto' && l.confidence > 0 && l.confidence <= 1)).toBe(true);
  });

  it('a lesion with no good match in the next study vanished; an unmatched later lesion is new', () => {
    const tracks = assembleTracks(
      [
        { studyId: 1, lesionIds: [1, 2] },
        { studyId: 2, lesionIds: [11, 13] },
      ],
      scorer({ '1>11': 0.9 }),
      [],
    );
    expect(ids(tracks)).toEqual([[1, 11], [2], [13]]);
  });

  it('a lesion missed in one study is picked up again in the next', () => {
    const tracks = assembleTracks(
      [
        { studyId: 1, lesionIds: [1] },
        { studyId: 2, lesionIds: [] },
        { studyId: 3, lesionIds: [21] },
      ],
      scorer({ '1>21': 0.9 }),
      [],
    );
    expect(ids(tracks)).toEqual([[1, 21]]);
  });

  it('confidence is high for a clear match and lower for an ambiguous one', () => {
    const clear = assembleTracks(studies, scorer({ '1>11': 0.95, '2>12': 0.95 }), []);
    const ambiguous = assembleTracks(studies, scorer({ '1>11': 0.9, '1>12': 0.89, '2>11': 0.89, '2>12': 0.9 }), []);
    expect(clear[0].links[0].confidence).toBeGreaterThan(0.9);
    expect(ambiguous[0].links[0].confidence).toBeLessThan(0.6);
  });

  it("a curator's decisions survive a later automatic run", () => {
    const scores = scorer({ '1>11': 0.9, '2>12': 0.9 });
    const decisions: LinkConstraint[] = [
      { kind: 'must', from: 1, to: 12, decisionId: 1 }, // merge against the scores
      { kind: 'alone', from: 2, to: null, decisionId: 2 }, // unlink
    ];
    const tracks = assembleTracks(studies, scores, decisions);
    expect(ids(tracks)).toEqual([[1, 12], [2], [11]]);
    expect(tracks.find((t) => t.lesionIds[0] === 1)!.links[0]).toMatchObject({ decidedBy: 'curator', confidence: 1 });
    // A split (cannot-link) is also kept.
    expect(ids(assembleTracks(studies, scores, [{ kind: 'cannot', from: 1, to: 11, decisionId: 3 }]))).toEqual([[1], [2, 12], [11]]);
  });
});

describe('findConflict', () => {
  const must: LinkConstraint = { kind: 'must', from: 1, to: 11, decisionId: 4 };

  it('names the decision a contradictory edit conflicts with', () => {
    const conflict = findConflict([must], [{ kind: 'cannot', from: 1, to: 11, decisionId: null }]);
    expect(conflict?.reason).toMatch(/decision 4/);
    expect(findConflict([must], [{ kind: 'alone', from: 11, to: null, decisionId: null }])?.existing).toBe(must);
    expect(findConflict([must], [{ kind: 'must', from: 1, to: 12, decisionId: null }])?.reason).toMatch(/one next point/);
  });

  it('accepts edits that agree', () => {
    expect(findConflict([must], [{ kind: 'must', from: 11, to: 21, decisionId: null }])).toBeNull();
    expect(findConflict([must], [{ kind: 'cannot', from: 2, to: 11, decisionId: null }])).toBeNull();
  });
});
