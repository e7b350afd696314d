/**
 * Minimum-cost assignment of rows to columns (Hungarian algorithm, Jonker–Volgenant potentials form,
 * O(n³)). Every row may also stay unassigned at `unassignedCost` (a lesion without a match), and
 * entries that are not finite can never be chosen. Returns, per row, its column or -1.
 */
export function optimalAssignment(cost: readonly (readonly number[])[], unassignedCost: number): number[] {
  const rows = cost.length;
  if (rows === 0) return [];
  const cols = cost[0].length;
  // Square matrix: real columns, then one "stay alone" column per row; dummy rows for the columns
  // nobody takes. A forbidden pair costs more than every feasible complete assignment can.
  const n = rows + cols;
  const finite = cost.flat().filter(Number.isFinite);
  const big = (Math.max(0, ...finite.map(Math.abs), Math.abs(unassignedCost)) + 1) * (n + 1);
  const at = (i: number, j: number): number => {
    if (i < rows) {
      if (j < cols) return Number.isFinite(cost[i][j]) ? cost[i][j] : big;
      return j - cols === i ? unassignedCost : big;
    }
    // Dummy rows soak up the columns no real row takes (new lesions, unused alone columns) at no cost.
    return 0;
  };
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j]: row (1-based) assigned to column j
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const result = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= cols; j++) {
    const i = p[j] - 1;
    if (i >= 0 && i < rows && Number.isFinite(cost[i][j - 1])) result[i] = j - 1;
  }
  return result;
}
