import { Prng } from '../../sample/prng';
import { fitLda, project, ProjectionTrainingError } from './lda';
import { symmetricEigen } from './symmetric-eigen';
import { applyProjection, toDescriptorProjection } from './apply-projection';

describe('symmetricEigen', () => {
  it('decomposes a symmetric matrix: A v = λ v, values descending, vectors orthonormal', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const { values, vectors } = symmetricEigen(a, 3);
    expect(values[0]).toBeGreaterThanOrEqual(values[1]);
    expect(values[1]).toBeGreaterThanOrEqual(values[2]);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let k = 0; k < 3; k++) av += a[i * 3 + k] * vectors[k * 3 + c];
        expect(av).toBeCloseTo(values[c] * vectors[i * 3 + c], 10);
      }
      let norm = 0;
      for (let i = 0; i < 3; i++) norm += vectors[i * 3 + c] ** 2;
      expect(norm).toBeCloseTo(1, 12);
    }
  });
});

describe('fitLda', () => {
  /** Three classes that differ only in dimension 0, buried in 40 dimensions of larger noise. */
  const data = (n: number, seed: number) => {
    const rng = new Prng(seed);
    const vectors: Float32Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const label = i % 3;
      const v = Float32Array.from({ length: 40 }, () => (rng.next() - 0.5) * 4);
      v[0] = label * 1.5 + (rng.next() - 0.5) * 0.3;
      vectors.push(v);
      labels.push(label);
    }
    return { vectors, labels };
  };

  it('finds the direction that separates the classes (at most classes − 1 dimensions)', () => {
    const train = data(150, 1);
    const fitted = fitLda(train.vectors, train.labels, { shrinkage: 0.2 });
    expect(fitted.dims).toBe(2);
    // Nearest class mean in the projection classifies held-out data far better than chance.
    const means = [0, 1, 2].map((label) => {
      const members = train.vectors.filter((_, i) => train.labels[i] === label).map((v) => project(fitted, v));
      return members[0].map((_, k) => members.reduce((s, m) => s + m[k], 0) / members.length);
    });
    const test = data(60, 2);
    const correct = test.vectors.filter((v, i) => {
      const y = project(fitted, v);
      const distances = means.map((m) => m.reduce((s, x, k) => s + (x - y[k]) ** 2, 0));
      return distances.indexOf(Math.min(...distances)) === test.labels[i];
    }).length;
    expect(correct / test.vectors.length).toBeGreaterThan(0.9);
  });

  it('maps a descriptor the same way when written into a manifest (applyProjection)', () => {
    const train = data(30, 5);
    const fitted = fitLda(train.vectors, train.labels);
    const manifestForm = JSON.parse(JSON.stringify(toDescriptorProjection('lda', fitted)));
    for (const v of train.vectors.slice(0, 5)) expect([...applyProjection(manifestForm, v)]).toEqual([...project(fitted, v)]);
  });

  it('refuses too few labelled lesions and a single class with a clear message', () => {
    const few = data(6, 3);
    expect(() => fitLda(few.vectors, few.labels)).toThrow(ProjectionTrainingError);
    expect(() => fitLda(few.vectors, few.labels)).toThrow('Too few labelled lesions to fit a projection: 6, at least 10 are needed');
    const one = data(30, 4);
    expect(() =>
      fitLda(
        one.vectors,
        one.labels.map(() => 2),
      ),
    ).toThrow('Every labelled lesion has the same label (2): a projection needs at least two classes');
  });

  describe('with feedback pairs (must-link / cannot-link)', () => {
    /** Pairs as curators would mark them: same class relevant, different class not relevant. */
    const pairsFrom = (labels: number[], count: number, seed: number) => {
      const rng = new Prng(seed);
      return Array.from({ length: count }, () => {
        const a = Math.floor(rng.next() * labels.length);
        let b = Math.floor(rng.next() * labels.length);
        if (b === a) b = (a + 1) % labels.length;
        return { a, b, relevant: labels[a] === labels[b] };
      });
    };
    const nearestMeanAccuracy = (fitted: ReturnType<typeof fitLda>, train: ReturnType<typeof data>, test: ReturnType<typeof data>) => {
      const means = [0, 1, 2].map((label) => {
        const members = train.vectors.filter((_, i) => train.labels[i] === label).map((v) => project(fitted, v));
        return members[0].map((_, k) => members.reduce((s, m) => s + m[k], 0) / members.length);
      });
      const correct = test.vectors.filter((v, i) => {
        const y = project(fitted, v);
        const distances = means.map((m) => m.reduce((s, x, k) => s + (x - y[k]) ** 2, 0));
        return distances.indexOf(Math.min(...distances)) === test.labels[i];
      }).length;
      return correct / test.vectors.length;
    };

    it('learns the separating direction from pairs alone, without labels', () => {
      const train = data(150, 1);
      const fitted = fitLda(train.vectors, null, { shrinkage: 0.2, pairs: pairsFrom(train.labels, 300, 7) });
      expect(fitted.dims).toBeGreaterThanOrEqual(1);
      expect(nearestMeanAccuracy(fitted, train, data(60, 2))).toBeGreaterThan(0.9);
      // Unlabelled descriptors with random pairs find nothing of the kind: the pairs carry the signal.
      const shuffled = pairsFrom(train.labels, 300, 7).map((p, i) => ({ ...p, relevant: i % 3 === 0 }));
      const blind = fitLda(train.vectors, null, { shrinkage: 0.2, pairs: shuffled });
      expect(nearestMeanAccuracy(blind, train, data(60, 2))).toBeLessThan(0.8);
    });

    it("adds cannot-link directions to the labels' classes − 1, and the fit changes with the pairs", () => {
      const train = data(150, 3);
      const labelsOnly = fitLda(train.vectors, train.labels, { shrinkage: 0.2 });
      const pairs = pairsFrom(train.labels, 40, 9);
      const combined = fitLda(train.vectors, train.labels, { shrinkage: 0.2, pairs });
      expect(labelsOnly.dims).toBe(2);
      expect(combined.dims).toBeGreaterThan(2);
      expect(combined.dims).toBeLessThanOrEqual(2 + pairs.filter((p) => !p.relevant).length);
      // Each cannot-link difference carries within-class noise too, so the extra directions cost a little accuracy.
      expect(nearestMeanAccuracy(labelsOnly, train, data(60, 4))).toBeGreaterThan(0.9);
      expect(nearestMeanAccuracy(combined, train, data(60, 4))).toBeGreaterThan(0.8);
    });

    it('refuses too few pairs, and pairs of a single kind, with a clear message', () => {
      const train = data(30, 6);
      const pairs = pairsFrom(train.labels, 30, 11);
      expect(() => fitLda(train.vectors, null, { pairs: pairs.slice(0, 3) })).toThrow(
        new ProjectionTrainingError('Too few feedback pairs to fit a projection: 3, at least 10 are needed'),
      );
      const allRelevant = pairs.map((p) => ({ ...p, relevant: true }));
      expect(() => fitLda(train.vectors, train.labels, { pairs: allRelevant })).toThrow(
        'Every feedback pair is marked relevant (30 pairs): training needs both relevant and not relevant pairs',
      );
      const noneRelevant = allRelevant.map((p) => ({ ...p, relevant: false }));
      expect(() => fitLda(train.vectors, null, { pairs: noneRelevant })).toThrow('Every feedback pair is marked not relevant');
      expect(() => fitLda(train.vectors, null)).toThrow('Nothing to fit: neither labels nor feedback pairs were given');
      expect(() => fitLda(train.vectors, null, { pairs: [{ a: 0, b: 30, relevant: true }], minPairs: 0 })).toThrow('a pair names a vector that is not there');
    });
  });
});
