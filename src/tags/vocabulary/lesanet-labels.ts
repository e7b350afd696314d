/**
 * Externally mined lesion labels in LesaNet's JSON layout: `term_list` (label names) and, per split
 * (train, val, test), `<split>_lesion_idxs` (0-based rows of DeepLesion's DL_info.csv) with parallel
 * lists `<split>_relevant_labels` and `<split>_uncertain_labels` of indexes into `term_list`
 * (`train_irrelevant_labels` marks mined-but-wrong labels and is not imported). Pure.
 */
export interface LesaNetLabels {
  term_list: string[];
  [key: string]: unknown;
}

export interface LesaNetLabel {
  row: number;
  term: string;
  uncertain: boolean;
  split: 'train' | 'val' | 'test';
}

export class LesaNetLabelsFormatError extends Error {}

const SPLITS = ['train', 'val', 'test'] as const;

/** Checks the layout; throws LesaNetLabelsFormatError naming the first problem. */
export function checkLesaNetLabels(value: unknown): LesaNetLabels {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new LesaNetLabelsFormatError('expected a JSON object with term_list and per-split lists');
  const file = value as Record<string, unknown>;
  if (!Array.isArray(file.term_list) || !file.term_list.every((t) => typeof t === 'string' && t.trim() !== '')) {
    throw new LesaNetLabelsFormatError('term_list must be a list of term names');
  }
  let splits = 0;
  for (const split of SPLITS) {
    const rows = file[`${split}_lesion_idxs`];
    if (rows === undefined) continue;
    splits++;
    if (!Array.isArray(rows) || !rows.every((r) => Number.isInteger(r) && r >= 0))
      throw new LesaNetLabelsFormatError(`${split}_lesion_idxs must be a list of row numbers`);
    for (const kind of ['relevant', 'uncertain'] as const) {
      const lists = file[`${split}_${kind}_labels`];
      if (lists === undefined) continue;
      if (!Array.isArray(lists) || lists.length !== rows.length)
        throw new LesaNetLabelsFormatError(`${split}_${kind}_labels must have one list per lesion (${rows.length})`);
      lists.forEach((labels, i) => {
        if (!Array.isArray(labels) || !labels.every((l) => Number.isInteger(l) && l >= 0 && l < (file.term_list as string[]).length)) {
          throw new LesaNetLabelsFormatError(`${split}_${kind}_labels[${i}] must list indexes into term_list (0..${(file.term_list as string[]).length - 1})`);
        }
      });
    }
  }
  if (!splits) throw new LesaNetLabelsFormatError('no <split>_lesion_idxs list (train, val or test) was found');
  return file as LesaNetLabels;
}

/** One entry per (row, term), relevant before uncertain, duplicates removed. */
export function lesaNetLabelTags(file: LesaNetLabels): LesaNetLabel[] {
  const terms = file.term_list.map((t) => t.trim().toLowerCase());
  const labels: LesaNetLabel[] = [];
  for (const split of SPLITS) {
    const rows = file[`${split}_lesion_idxs`] as number[] | undefined;
    if (!rows) continue;
    const relevant = (file[`${split}_relevant_labels`] as number[][] | undefined) ?? [];
    const uncertain = (file[`${split}_uncertain_labels`] as number[][] | undefined) ?? [];
    rows.forEach((row, i) => {
      const sure = new Set(relevant[i] ?? []);
      for (const l of sure) labels.push({ row, term: terms[l], uncertain: false, split });
      for (const l of new Set(uncertain[i] ?? [])) if (!sure.has(l)) labels.push({ row, term: terms[l], uncertain: true, split });
    });
  }
  return labels;
}

/** The inverse, for the lesions given (row → terms): the file a round trip must reproduce. */
export function toLesaNetLabels(
  termList: string[],
  bySplit: Record<'train' | 'val' | 'test', { row: number; relevant: string[]; uncertain: string[] }[]>,
): LesaNetLabels {
  const index = new Map(termList.map((t, i) => [t.trim().toLowerCase(), i]));
  const file: LesaNetLabels = { term_list: termList };
  for (const split of SPLITS) {
    const lesions = bySplit[split];
    if (!lesions.length) continue;
    file[`${split}_lesion_idxs`] = lesions.map((l) => l.row);
    file[`${split}_relevant_labels`] = lesions.map((l) => l.relevant.map((t) => index.get(t)!).filter((i) => i !== undefined));
    file[`${split}_uncertain_labels`] = lesions.map((l) => l.uncertain.map((t) => index.get(t)!).filter((i) => i !== undefined));
  }
  return file;
}
