import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkLesaNetLabels, LesaNetLabelsFormatError, lesaNetLabelTags, toLesaNetLabels } from './lesanet-labels';

const SHARED_FILE = path.resolve(__dirname, '../../../../shared/data/lesanet/text_mined_labels_171_and_split.json');

describe('LesaNet label files', () => {
  const small = {
    term_list: ['liver', 'cyst', 'lung'],
    train_lesion_idxs: [5, 9],
    train_relevant_labels: [[0, 1, 0], [2]],
    train_uncertain_labels: [[1], [0]],
    test_lesion_idxs: [12],
    test_relevant_labels: [[]],
    test_uncertain_labels: [[2]],
  };

  it('lists each (row, term) once, relevant before uncertain', () => {
    expect(lesaNetLabelTags(checkLesaNetLabels(small))).toEqual([
      { row: 5, term: 'liver', uncertain: false, split: 'train' },
      { row: 5, term: 'cyst', uncertain: false, split: 'train' },
      { row: 9, term: 'lung', uncertain: false, split: 'train' },
      { row: 9, term: 'liver', uncertain: true, split: 'train' },
      { row: 12, term: 'lung', uncertain: true, split: 'test' },
    ]);
  });

  it.each([
    [[], 'expected a JSON object'],
    [{ term_list: 'liver' }, 'term_list must be a list'],
    [{ term_list: ['liver'] }, 'no <split>_lesion_idxs'],
    [{ term_list: ['liver'], train_lesion_idxs: [1, 2], train_relevant_labels: [[0]] }, 'one list per lesion (2)'],
    [{ term_list: ['liver'], train_lesion_idxs: [1], train_relevant_labels: [[3]] }, 'indexes into term_list'],
    [{ term_list: ['liver'], train_lesion_idxs: [-1] }, 'row numbers'],
  ])('refuses a malformed file (%#)', (file, message) => {
    expect(() => checkLesaNetLabels(file)).toThrow(LesaNetLabelsFormatError);
    expect(() => checkLesaNetLabels(file)).toThrow(message);
  });

  const shared = fs.existsSync(SHARED_FILE) ? describe : describe.skip;
  if (!fs.existsSync(SHARED_FILE)) console.log(`Skipping the shared LesaNet labels round trip: ${SHARED_FILE} is absent`);
  shared('the shared text-mined labels (171 terms)', () => {
    it('reads every split and writes back the same labels', () => {
      const file = checkLesaNetLabels(JSON.parse(fs.readFileSync(SHARED_FILE, 'utf8')));
      const labels = lesaNetLabelTags(file);
      expect(file.term_list).toHaveLength(171);
      expect(new Set(labels.filter((l) => l.split === 'test').map((l) => l.row)).size).toBeGreaterThan(1000);
      const bySplit = { train: [], val: [], test: [] } as Record<'train' | 'val' | 'test', { row: number; relevant: string[]; uncertain: string[] }[]>;
      for (const split of ['train', 'val', 'test'] as const) {
        const rows = file[`${split}_lesion_idxs`] as number[];
        bySplit[split] = rows.map((row) => ({ row, relevant: [] as string[], uncertain: [] as string[] }));
        const at = new Map(bySplit[split].map((e) => [e.row, e]));
        for (const l of labels.filter((x) => x.split === split)) at.get(l.row)![l.uncertain ? 'uncertain' : 'relevant'].push(l.term);
      }
      const again = lesaNetLabelTags(toLesaNetLabels(file.term_list, bySplit));
      expect(again).toEqual(labels);
    });
  });
});
