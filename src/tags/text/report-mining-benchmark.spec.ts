import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLesanetOntology } from '../vocabulary/lesanet-ontology.parser';
import { benchmarkReportMining, formatReportMiningBenchmark, HandLabeledSentence } from './report-mining-benchmark';
import { readXlsxRows } from '../vocabulary/xlsx';

const LESANET_DIR = path.resolve(__dirname, '../../../../shared/data/lesanet');

describe('formatReportMiningBenchmark', () => {
  it('writes averages, the per-term table and the most frequent misses', () => {
    const vocabulary = parseLesanetOntology([
      ['class', 'term', 'synonyms', 'term_parents'],
      ['bodypart', 'abdomen', 'abdominal', ''],
      ['bodypart', 'liver', 'hepatic', 'abdomen'],
      ['type', 'mass', '', ''],
    ]).terms;
    const sentences: HandLabeledSentence[] = [
      { text: 'hepatic mass', lesion_idx: 1, expanded_terms: ['liver', 'abdomen', 'mass'] },
      { text: 'liver lesion', lesion_idx: 2, expanded_terms: ['liver', 'abdomen', 'mass'] },
      { text: 'no mass', lesion_idx: 3, expanded_terms: ['liver', 'abdomen'] },
    ];
    const result = benchmarkReportMining(sentences, vocabulary, ['liver', 'abdomen', 'mass'], 'test');
    expect(result.outcomes[1]).toEqual({ text: 'liver lesion', predicted: ['liver', 'abdomen'], missing: ['mass'], extra: [] });
    const markdown = formatReportMiningBenchmark(result, 2);
    expect(markdown).toContain('| micro (TP 5, FP 0, FN 3) | 100.0 | 62.5 | 76.9 |');
    expect(markdown).toContain('| abdomen | 3 | 2 | 0 | 1 | 100.0 | 66.7 | 80.0 |');
    expect(markdown).toContain('Most missed: abdomen (1), liver (1), mass (1).');
  });
});

const haveLesanet = fs.existsSync(path.join(LESANET_DIR, 'hand_labeled_test_set.json'));
if (!haveLesanet) console.log(`Skipping the report-mining evaluation on LesaNet's hand-labelled sentences: ${LESANET_DIR} is absent`);
(haveLesanet ? describe : describe.skip)("report mining on LesaNet's 250 hand-labelled sentences", () => {
  const read = (name: string) => fs.readFileSync(path.join(LESANET_DIR, name));
  const vocabulary = haveLesanet ? parseLesanetOntology(readXlsxRows(read('lesion_ontology_181022.xlsx'))).terms : [];
  const sentences: HandLabeledSentence[] = haveLesanet ? JSON.parse(read('hand_labeled_test_set.json').toString('utf8')) : [];

  it('reaches micro-F1 ≥ 0.94 on the 171 LesaNet label terms', () => {
    const { term_list: termList } = JSON.parse(read('text_mined_labels_171_and_split.json').toString('utf8')) as { term_list: string[] };
    const { evaluation } = benchmarkReportMining(sentences, vocabulary, termList, 'lesanet171');
    expect(evaluation.sentences).toBe(250);
    // Measured 0.962 (P 0.957, R 0.967); the floor leaves room for small changes of the rules.
    expect(evaluation.micro.f1).toBeGreaterThanOrEqual(0.94);
    expect(evaluation.macro.f1).toBeGreaterThanOrEqual(0.88);
  });

  it("reaches micro-F1 ≥ 0.93 on all the ontology's terms", () => {
    const { evaluation } = benchmarkReportMining(
      sentences,
      vocabulary,
      vocabulary.map((t) => t.name),
      'all',
    );
    expect(evaluation.micro.f1).toBeGreaterThanOrEqual(0.93);
  });

  it('does worse without counting uncertain terms, as the hand labels keep them', () => {
    const termList = vocabulary.map((t) => t.name);
    const withUncertain = benchmarkReportMining(sentences, vocabulary, termList, 'all').evaluation.micro.recall;
    const positiveOnly = benchmarkReportMining(sentences, vocabulary, termList, 'all', ['positive']).evaluation.micro.recall;
    expect(positiveOnly).toBeLessThan(withUncertain);
  });
});
