import { evaluateLabels } from './report-mining-eval';

describe('evaluateLabels', () => {
  const predicted = [['liver', 'mass'], ['lung', 'nodule', 'calcified'], ['liver']];
  const reference = [['liver', 'mass', 'abdomen'], ['lung', 'nodule'], ['kidney']];

  it('counts per term and pools micro averages', () => {
    const e = evaluateLabels(predicted, reference);
    expect(e.sentences).toBe(3);
    const liver = e.perTerm.find((s) => s.term === 'liver')!;
    expect(liver).toMatchObject({ support: 1, truePositives: 1, falsePositives: 1, falseNegatives: 0, precision: 0.5, recall: 1 });
    expect(liver.f1).toBeCloseTo(2 / 3, 10);
    expect(e.micro).toMatchObject({ truePositives: 4, falsePositives: 2, falseNegatives: 2 });
    expect(e.micro.precision).toBeCloseTo(4 / 6, 10);
    expect(e.micro.f1).toBeCloseTo(4 / 6, 10);
  });

  it('averages macro over the terms with support only', () => {
    const e = evaluateLabels(predicted, reference);
    // Supported: liver (F1 2/3), mass, lung, nodule (1 each), abdomen, kidney (0); calcified has none.
    expect(e.macro.terms).toBe(6);
    expect(e.macro.f1).toBeCloseTo((2 / 3 + 3) / 6, 10);
    expect(e.perTerm.map((s) => s.term)).toContain('calcified');
    expect(e.perTerm[0].support).toBeGreaterThanOrEqual(e.perTerm[e.perTerm.length - 1].support);
  });

  it('restricts both sides to a term list, case-insensitively', () => {
    const e = evaluateLabels([['Liver', 'mass']], [['liver', 'abdomen']], ['liver', 'abdomen']);
    expect(e.micro).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 1, precision: 1, recall: 0.5 });
    expect(e.perTerm.map((s) => s.term)).toEqual(['abdomen', 'liver']);
  });

  it('rejects mismatched lengths', () => {
    expect(() => evaluateLabels([[]], [])).toThrow('1 predictions for 0 reference sentences');
  });
});
