import { ForbiddenException, NotFoundException } from '@nestjs/common';
import { ALL_DATASETS, datasetForWrite, datasetList, effectiveDatasets, filterWithinScope, requireInScope, scopeAllows, scopeOf } from './dataset-scope';

describe('dataset scope', () => {
  const siteA = scopeOf(['site-a']);
  const both = scopeOf(['site-b', 'site-a', 'site-a']);

  it('normalises a key’s list (sorted, once each) and treats null as every dataset', () => {
    expect(both.datasets).toEqual(['site-a', 'site-b']);
    expect(scopeOf(null)).toBe(ALL_DATASETS);
    expect(scopeOf(undefined).datasets).toBeNull();
  });

  it('allows only the scope’s datasets', () => {
    expect(scopeAllows(siteA, 'site-a')).toBe(true);
    expect(scopeAllows(siteA, 'site-b')).toBe(false);
    expect(scopeAllows(ALL_DATASETS, 'anything')).toBe(true);
  });

  it('an unscoped request reads what it asked for, or everything', () => {
    expect(effectiveDatasets(ALL_DATASETS)).toBeUndefined();
    expect(effectiveDatasets(ALL_DATASETS, [])).toBeUndefined();
    expect(effectiveDatasets(ALL_DATASETS, ['x', 'x', 'y'])).toEqual(['x', 'y']);
  });

  it('a scoped request without a filter reads exactly the scope', () => {
    expect(effectiveDatasets(both)).toEqual(['site-a', 'site-b']);
    expect(effectiveDatasets(both, [])).toEqual(['site-a', 'site-b']);
  });

  it('a scoped request may narrow to a subset', () => {
    expect(effectiveDatasets(both, ['site-b'])).toEqual(['site-b']);
  });

  it('a scoped request naming a dataset outside the scope is a 403 naming it', () => {
    expect(() => effectiveDatasets(siteA, ['site-a', 'site-b'])).toThrow(ForbiddenException);
    expect(() => effectiveDatasets(siteA, ['site-b'])).toThrow(/"site-b"/);
  });

  it('a lesion outside the scope is a 404, as if it did not exist', () => {
    expect(() => requireInScope(siteA, 'site-b', 'Lesion 7 not found')).toThrow(NotFoundException);
    expect(() => requireInScope(siteA, null, 'Lesion 7 not found')).toThrow('Lesion 7 not found');
    expect(() => requireInScope(siteA, 'site-a', 'x')).not.toThrow();
    expect(() => requireInScope(ALL_DATASETS, 'site-b', 'x')).not.toThrow();
  });

  it('reads stored filters of both shapes', () => {
    expect(datasetList('a')).toEqual(['a']);
    expect(datasetList(['a', 'b'])).toEqual(['a', 'b']);
    expect(datasetList([])).toBeUndefined();
    expect(datasetList(undefined)).toBeUndefined();
    expect(datasetList([1])).toBeUndefined();
  });

  it('a stored filter is within a scope only when it names datasets, all inside it', () => {
    expect(filterWithinScope(both, ['site-a'])).toBe(true);
    expect(filterWithinScope(both, ['site-a', 'site-c'])).toBe(false);
    expect(filterWithinScope(both, undefined)).toBe(false);
    expect(filterWithinScope(ALL_DATASETS, undefined)).toBe(true);
  });
});

describe('datasetForWrite', () => {
  it('writes where asked, inside the scope only', () => {
    expect(datasetForWrite(ALL_DATASETS, 'x', 'deeplesion')).toBe('x');
    expect(datasetForWrite(scopeOf(['a', 'b']), 'b', 'deeplesion')).toBe('b');
    expect(() => datasetForWrite(scopeOf(['a']), 'b', 'deeplesion')).toThrow(ForbiddenException);
  });

  it('without a name: the scope’s only dataset, else the fallback (refused when outside the scope)', () => {
    expect(datasetForWrite(scopeOf(['a']), undefined, 'deeplesion')).toBe('a');
    expect(datasetForWrite(ALL_DATASETS, undefined, 'deeplesion')).toBe('deeplesion');
    expect(() => datasetForWrite(scopeOf(['a', 'b']), undefined, 'deeplesion')).toThrow(/"deeplesion"/);
  });
});
