/**
 * DeepLesion's coarse lesion types (DL_info.csv `Coarse_lesion_type`), the one table of them: the API's
 * `coarseType.name` is `name`; the web page's filter labels and the vocabulary term each type implies are `label`.
 */
export const COARSE_TYPE_TABLE: readonly { code: number; name: string; label: string }[] = [
  { code: 1, name: 'bone', label: 'bone' },
  { code: 2, name: 'abdomen', label: 'abdomen' },
  { code: 3, name: 'mediastinum', label: 'mediastinum' },
  { code: 4, name: 'liver', label: 'liver' },
  { code: 5, name: 'lung', label: 'lung' },
  { code: 6, name: 'kidney', label: 'kidney' },
  { code: 7, name: 'soft_tissue', label: 'soft tissue' },
  { code: 8, name: 'pelvis', label: 'pelvis' },
  { code: -1, name: 'unlabelled', label: 'unlabelled' },
];

/** Code → API name (`soft_tissue`), as responses spell it. */
export const COARSE_TYPES: Readonly<Record<number, string>> = Object.fromEntries(COARSE_TYPE_TABLE.map((t) => [t.code, t.name]));

/** Code → label (`soft tissue`): what the web page shows and the vocabulary term the type implies. */
export const COARSE_TYPE_LABELS: Readonly<Record<number, string>> = Object.fromEntries(COARSE_TYPE_TABLE.map((t) => [t.code, t.label]));

/** The table as an ES module for the browser (served at /ui/js/coarse-types.js), so the page keeps no copy. */
export function coarseTypesModule(): string {
  const rows = COARSE_TYPE_TABLE.map((t) => ({ code: t.code, name: t.label }));
  return `// Generated from src/deeplesion/coarse-types.ts by the server: do not edit.\nexport const COARSE_TYPES = ${JSON.stringify(rows)};\n`;
}
