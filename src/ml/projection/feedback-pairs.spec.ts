import { consolidateFeedback, lesionKey, pairsAmong } from './feedback-pairs';

describe('feedback pairs', () => {
  const key = (patientIndex: number, lesionInImage = 1) => lesionKey({ patientIndex, studyIndex: 1, seriesIndex: 1, keySliceIndex: 10, lesionInImage });

  it('names a lesion by patient, study, series, key slice and lesion in image', () => {
    expect(lesionKey({ patientIndex: 4, studyIndex: 2, seriesIndex: 3, keySliceIndex: 77, lesionInImage: 1 })).toBe('4_2_3_77#1');
    expect(key(4, 1)).not.toBe(key(4, 2));
  });

  it("keeps one pair per two lesions, whichever was the query, by the curators' majority; ties are left out", () => {
    const pairs = consolidateFeedback([
      { queryKey: key(1), hitKey: key(2), relevant: true },
      { queryKey: key(2), hitKey: key(1), relevant: true },
      { queryKey: key(1), hitKey: key(2), relevant: false },
      { queryKey: key(1), hitKey: key(3), relevant: false },
      { queryKey: key(4), hitKey: key(5), relevant: true },
      { queryKey: key(5), hitKey: key(4), relevant: false },
    ]);
    expect(pairs).toEqual([
      { aKey: key(1), bKey: key(2), relevant: true },
      { aKey: key(1), bKey: key(3), relevant: false },
    ]);
  });

  it('gives indices into a training set and drops the pairs of lesions not in it (a held-out patient)', () => {
    const pairs = consolidateFeedback([
      { queryKey: key(1), hitKey: key(2), relevant: true },
      { queryKey: key(3), hitKey: key(1), relevant: false },
      { queryKey: key(2), hitKey: key(9), relevant: false },
    ]);
    const training = [{ k: key(3) }, { k: key(2) }, { k: key(1) }];
    expect(pairsAmong(pairs, training, (i) => i.k)).toEqual([
      { a: 2, b: 1, relevant: true },
      { a: 2, b: 0, relevant: false },
    ]);
    expect(pairsAmong(pairs, training.slice(0, 2), (i) => i.k)).toEqual([]);
  });
});
