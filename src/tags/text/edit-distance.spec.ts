import { editDistance } from './edit-distance';

describe('editDistance', () => {
  it.each([
    ['liver', 'liver', 0],
    ['livr', 'liver', 1],
    ['lvier', 'liver', 1],
    ['mmesenteric', 'mesenteric', 1],
    ['hepatci', 'hepatic', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['ca', 'abc', 3],
  ])('%s → %s is %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });

  it('stops early above the limit and says limit + 1', () => {
    expect(editDistance('kitten', 'sitting', 1)).toBe(2);
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
    expect(editDistance('livr', 'liver', 1)).toBe(1);
  });
});
