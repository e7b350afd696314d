import { orderSeries, SlicePlacement, slicesToWrite } from './series-geometry';

const axial = [1, 0, 0, 0, 1, 0];
const slice = (key: string, z: number | null, instanceNumber: number | null = null, orientation = axial): SlicePlacement => ({
  key,
  position: z === null ? null : [-100, -120, z],
  orientation,
  instanceNumber,
});

describe('orderSeries', () => {
  it('orders shuffled slices by position along the normal; z spacing is the median gap, not the thickness', () => {
    const zs = [10, 12.5, 15, 17.5, 20, 22.5, 30];
    const shuffled = [4, 0, 6, 2, 5, 1, 3].map((i) => slice(`s${i}`, zs[i]));
    const order = orderSeries(shuffled);
    expect(order).toMatchObject({ ok: true, spacingZmm: 2.5, orderedBy: 'position' });
    if (order.ok) expect(order.ordered.map((s) => s.key)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
  });

  it('projects on the normal of an oblique orientation (feet-first order reversed by the normal)', () => {
    const c = Math.SQRT1_2;
    const oblique = [1, 0, 0, 0, c, -c]; // normal (0, c, c)
    const slices = [0, 1, 2].map((i) => ({
      key: `o${i}`,
      position: [0, 3 * i * c, 3 * i * c] as [number, number, number],
      orientation: oblique,
      instanceNumber: null,
    }));
    const order = orderSeries([slices[2], slices[0], slices[1]]);
    expect(order).toMatchObject({ ok: true, orderedBy: 'position' });
    if (order.ok) {
      expect(order.ordered.map((s) => s.key)).toEqual(['o0', 'o1', 'o2']);
      expect(order.spacingZmm).toBeCloseTo(3, 6);
    }
  });

  it('refuses duplicate positions and inconsistent orientations with the reason', () => {
    expect(orderSeries([slice('a', 10), slice('b', 10)])).toEqual({ ok: false, reason: expect.stringMatching(/share the position/) });
    expect(orderSeries([slice('a', 10), slice('b', 12, null, [0, 1, 0, 0, 0, -1])])).toEqual({
      ok: false,
      reason: expect.stringMatching(/inconsistent Image Orientation/),
    });
  });

  it('falls back to Instance Number without positions (z spacing unknown)', () => {
    const order = orderSeries([slice('c', null, 3), slice('a', null, 1), slice('b', 12, 2)]);
    expect(order).toMatchObject({ ok: true, orderedBy: 'instance-number', spacingZmm: null });
    if (order.ok) expect(order.ordered.map((s) => s.key)).toEqual(['a', 'b', 'c']);
  });
});

describe('slicesToWrite', () => {
  it('writes each key slice and the neighbours the models reach, bounded per side and by the series', () => {
    expect(slicesToWrite([5], 20, 2.5, 5, 8)).toEqual([3, 4, 5, 6, 7]);
    expect(slicesToWrite([5], 20, 1, 50, 2)).toEqual([3, 4, 5, 6, 7]);
    expect(slicesToWrite([0, 19], 20, 2.5, 2.5, 8)).toEqual([0, 1, 18, 19]);
    expect(slicesToWrite([5], 20, null, 5, 8)).toEqual([5]);
    expect(slicesToWrite([5, 6], 20, 2.5, 0, 8)).toEqual([5, 6]);
  });
});
