import { Prng } from '../sample/prng';
import { compareModels, ComparedLesion, formatModelComparison } from './model-comparison';

describe('compareModels', () => {
  /** Model A sees the type (one dimension per type) faintly among noise; model B sees it clearly. Four lesions per patient, three types. */
  const lesions = (patients: number, seed: number): ComparedLesion[] => {
    const rng = new Prng(seed);
    const out: ComparedLesion[] = [];
    for (let p = 0; p < patients; p++) {
      for (let k = 0; k < 4; k++) {
        const label = (p + k) % 3;
        const noise = () => Float32Array.from({ length: 8 }, () => rng.next() - 0.5);
        const a = noise();
        a[label] += 0.3;
        const b = noise().map((x) => x * 0.1);
        b[label] += 3;
        out.push({ label, group: p, vectors: [a, b] });
      }
    }
    return out;
  };

  it('scores both models on the same queries and gives a paired interval of B − A that excludes 0 when B is better', () => {
    const c = compareModels(lesions(20, 1), { rounds: 300, seed: 1 });
    expect(c.lesions).toBe(80);
    expect(c.patients).toBe(20);
    expect(c.before.queries).toBe(c.after.queries);
    expect(c.after.meanAveragePrecision).toBeGreaterThan(0.95);
    expect(c.difference.meanAveragePrecision.value).toBeCloseTo(c.after.meanAveragePrecision - c.before.meanAveragePrecision, 12);
    expect(c.difference.meanAveragePrecision.low).toBeGreaterThan(0);
    expect(c.difference.precisionAt1.high).toBeGreaterThanOrEqual(c.difference.precisionAt1.low);
  });

  it('gives a zero difference for a model compared with itself', () => {
    const same = lesions(10, 2).map((l) => ({ ...l, vectors: [l.vectors[0], l.vectors[0]] as ComparedLesion['vectors'] }));
    const c = compareModels(same, { rounds: 100, seed: 1 });
    expect(c.difference.meanAveragePrecision).toEqual({ value: 0, low: 0, high: 0 });
    expect(c.difference.precisionAt1).toEqual({ value: 0, low: 0, high: 0 });
  });

  it('leaves out lesions either model failed on, for both models, and says how many', () => {
    const set = lesions(10, 3);
    set[0] = { ...set[0], vectors: [set[0].vectors[0], null] };
    set[5] = { ...set[5], vectors: [null, set[5].vectors[1]] };
    const c = compareModels(set, { rounds: 50, seed: 1 });
    expect(c.lesions).toBe(38);
    expect(c.leftOut).toBe(2);
    const table = formatModelComparison(c, { set: 'sample', models: ['default-scattering', 'lda'], rounds: 50 });
    expect(table).toContain('38 typed lesions of 10 patients embedded by both models (2 left out: one model failed on them)');
    expect(table).toContain('| A: default-scattering |');
    expect(table).toContain('| B − A (paired) |');
  });
});
