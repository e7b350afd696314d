import { hashSeed, Prng } from './prng';

const draw = (rng: Prng, n: number) => Array.from({ length: n }, () => rng.next());

describe('Prng', () => {
  it('repeats its sequence for the same seed and diverges for another', () => {
    expect(draw(new Prng(42), 20)).toEqual(draw(new Prng(42), 20));
    expect(draw(new Prng(42), 20)).not.toEqual(draw(new Prng(43), 20));
  });

  it('stays in [0, 1) and covers it evenly', () => {
    const values = draw(new Prng(1), 20000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 1);
    const deciles = new Array(10).fill(0);
    for (const v of values) deciles[Math.floor(v * 10)]++;
    for (const count of deciles) expect(count).toBeGreaterThan(1700);
  });

  it('uniform(a, b) and int(a, b) respect their bounds, int including both ends', () => {
    const rng = new Prng(2);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const u = rng.uniform(-3, 5);
      expect(u).toBeGreaterThanOrEqual(-3);
      expect(u).toBeLessThan(5);
      const k = rng.int(1, 3);
      expect([1, 2, 3]).toContain(k);
      seen.add(k);
    }
    expect(seen).toEqual(new Set([1, 2, 3]));
    expect(() => rng.int(3, 1)).toThrow(RangeError);
    expect(() => rng.int(0.5, 2)).toThrow(RangeError);
  });

  it('normal(mean, sd) has the asked mean and spread', () => {
    const rng = new Prng(3);
    const values = Array.from({ length: 20000 }, () => rng.normal(10, 4));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(mean).toBeGreaterThan(9.9);
    expect(mean).toBeLessThan(10.1);
    expect(sd).toBeGreaterThan(3.9);
    expect(sd).toBeLessThan(4.1);
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('pick, weighted, chance and shuffle draw from what they are given', () => {
    const rng = new Prng(4);
    const items = ['a', 'b', 'c'] as const;
    const picked = new Set(Array.from({ length: 200 }, () => rng.pick(items)));
    expect(picked).toEqual(new Set(items));
    expect(() => rng.pick([])).toThrow(RangeError);

    const heavy = Array.from({ length: 2000 }, () =>
      rng.weighted([
        ['x', 9],
        ['y', 1],
      ] as const),
    ).filter((v) => v === 'x').length;
    expect(heavy).toBeGreaterThan(1650);
    expect(heavy).toBeLessThan(1950);

    const hits = Array.from({ length: 2000 }, () => rng.chance(0.25)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(400);
    expect(hits).toBeLessThan(600);

    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = rng.shuffle(input);
    expect([...shuffled].sort((p, q) => p - q)).toEqual(input);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('derive() gives reproducible, independent streams', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    expect(draw(a.derive(1), 5)).toEqual(draw(b.derive(1), 5));
    expect(draw(new Prng(5).derive(1), 5)).not.toEqual(draw(new Prng(5).derive(2), 5));
  });
});

describe('hashSeed', () => {
  it('is stable and sensitive to every part, including fractions and large numbers', () => {
    expect(hashSeed(1, 2, 3)).toBe(hashSeed(1, 2, 3));
    expect(hashSeed(1, 2, 3)).not.toBe(hashSeed(1, 2, 4));
    expect(hashSeed(1, 2, 3)).not.toBe(hashSeed(3, 2, 1));
    expect(hashSeed(0.5)).not.toBe(hashSeed(0.25));
    expect(hashSeed(2 ** 40)).not.toBe(hashSeed(2 ** 41));
    const h = hashSeed(123);
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });
});
