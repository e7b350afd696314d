import { ParkedModels } from './parked-models';

describe('ParkedModels', () => {
  it('hands back the least recently parked beyond the capacity, and moves a model parked again to the end', () => {
    const parked = new ParkedModels<string>();
    expect(parked.park('a', 'A', 2)).toEqual([]);
    expect(parked.park('b', 'B', 2)).toEqual([]);
    expect(parked.park('a', 'A2', 2)).toEqual([]);
    expect(parked.modelIds()).toEqual(['b', 'a']);
    expect(parked.park('c', 'C', 2)).toEqual([['b', 'B']]);
    expect(parked.modelIds()).toEqual(['a', 'c']);
    expect(parked.get('a')).toBe('A2');
  });

  it('keeps the one just parked even at capacity 1, and takes or drains what it holds', () => {
    const parked = new ParkedModels<string>();
    parked.park('a', 'A', 1);
    expect(parked.park('b', 'B', 1)).toEqual([['a', 'A']]);
    expect(parked.take('a')).toBeUndefined();
    expect(parked.take('b')).toBe('B');
    expect(parked.modelIds()).toEqual([]);
    parked.park('c', 'C', 3);
    parked.park('d', 'D', 3);
    expect(parked.drain()).toEqual(['C', 'D']);
    expect(parked.modelIds()).toEqual([]);
  });
});
