import { COARSE_TYPE_LABELS, COARSE_TYPE_TABLE, COARSE_TYPES, coarseTypesModule } from './coarse-types';

describe('coarse types', () => {
  it('has the eight DeepLesion types and "unlabelled", each code once', () => {
    expect(COARSE_TYPE_TABLE.map((t) => t.code)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, -1]);
  });

  it('names a type as the API does and labels it as the page and the vocabulary do', () => {
    expect(COARSE_TYPES[7]).toBe('soft_tissue');
    expect(COARSE_TYPE_LABELS[7]).toBe('soft tissue');
    expect(COARSE_TYPES[-1]).toBe('unlabelled');
    expect(COARSE_TYPES[0]).toBeUndefined();
  });

  it('writes the browser module from the same table (labels, not API names)', () => {
    const text = coarseTypesModule();
    expect(text.startsWith('// Generated from src/deeplesion/coarse-types.ts')).toBe(true);
    const rows = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(']') + 1));
    expect(rows).toEqual(COARSE_TYPE_TABLE.map((t) => ({ code: t.code, name: t.label })));
  });
});
