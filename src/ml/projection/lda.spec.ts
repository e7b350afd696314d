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
    expect(() => fitLda(one.vectors, one.labels.map(() => 2))).toThrow('Every labelled lesion has the same label (2): a projection needs at least two classes');
  });
});
