import { optimalAssignment } from './optimal-assignment';

const total = (cost: number[][], a: number[], alone: number) => a.reduce((s, j, i) => s + (j < 0 ? alone : cost[i][j]), 0);

describe('optimalAssignment', () => {
  it('is not greedy: the best single pair is given up when that lowers the total', () => {
    // Greedy takes (0,0) at −0.9 and leaves row 1 with −0.1: total −1.0. Optimal swaps: −0.85 − 0.8 = −1.65.
    const cost = [
      [-0.9, -0.85],
      [-0.8, -0.1],
    ];
    expect(optimalAssignment(cost, 0)).toEqual([1, 0]);
  });

  it('follows swapped lesions (rows listed in another order than their matches)', () => {
    const cost = [
      [-0.1, -0.2, -0.95],
      [-0.9, -0.1, -0.2],
      [-0.2, -0.92, -0.1],
    ];
    expect(optimalAssignment(cost, -0.3)).toEqual([2, 0, 1]);
  });

  it('leaves a vanished lesion unassigned (no column good enough) and a new lesion untaken', () => {
    // Row 1 vanished: every column is a poor match. Column 2 is new: nobody takes it.
    const cost = [
      [-0.9, -0.1, -0.2],
      [-0.2, -0.25, -0.1],
    ];
    expect(optimalAssignment(cost, -0.3)).toEqual([0, -1]);
  });

  it('never chooses a forbidden pair', () => {
    const cost = [
      [Infinity, -0.5],
      [-0.9, -0.95],
    ];
    expect(optimalAssignment(cost, 0)).toEqual([1, 0]);
    expect(optimalAssignment([[Infinity]], 0)).toEqual([-1]);
  });

  it('handles more rows than columns and more columns than rows', () => {
    expect(optimalAssignment([[-0.9], [-0.8], [-0.95]], 0)).toEqual([-1, -1, 0]);
    expect(optimalAssignment([[-0.1, -0.9, -0.5, -0.2]], 0)).toEqual([1]);
    expect(optimalAssignment([], 0)).toEqual([]);
  });

  it('matches brute force on random matrices', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 200; trial++) {
      const rows = 1 + Math.floor(rand() * 4);
      const cols = 1 + Math.floor(rand() * 4);
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rand() < 0.15 ? Infinity : -rand())));
      const alone = -rand() * 0.5;
      const got = optimalAssignment(cost, alone);
      expect(new Set(got.filter((j) => j >= 0)).size).toBe(got.filter((j) => j >= 0).length);
      expect(got.every((j, i) => j < 0 || Number.isFinite(cost[i][j]))).toBe(true);
      expect(total(cost, got, alone)).toBeCloseTo(bruteForce(cost, alone), 9);
    }
  });
});

function bruteForce(cost: number[][], alone: number): number {
  const rows = cost.length;
  const cols = cost[0].length;
  let best = Infinity;
  const taken = new Array<boolean>(cols).fill(false);
  const walk = (i: number, sum: number) => {
    if (i === rows) return void (best = Math.min(best, sum));
    walk(i + 1, sum + alone);
    for (let j = 0; j < cols; j++) {
      if (taken[j] || !Number.isFinite(cost[i][j])) continue;
      taken[j] = true;
      walk(i + 1, sum + cost[i][j]);
      taken[j] = false;
    }
  };
  walk(0, 0);
  return best;
}
