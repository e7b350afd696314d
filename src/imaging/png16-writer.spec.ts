import { decode } from 'fast-png';
import { decodeDeepLesionPng } from './decode';
import { huToPng16 } from './png16-writer';

describe('huToPng16', () => {
  it('writes a DeepLesion PNG that decodes back to the rounded, clamped HU', async () => {
    const width = 37;
    const height = 21;
    const data = Float32Array.from({ length: width * height }, (_, i) => ((i * 97) % 5000) - 1500 + 0.4);
    data[0] = -40000; // below HU + 32768 = 0
    data[1] = 40000; // above 65535 − 32768
    const png = await huToPng16({ width, height, data, spacing: null });
    const read = decode(png);
    expect([read.width, read.height, read.depth, read.channels]).toEqual([width, height, 16, 1]);
    const hu = decodeDeepLesionPng(png);
    const expected = Array.from(data, (v) => Math.min(32767, Math.max(-32768, Math.round(v))));
    expect(Array.from(hu.data)).toEqual(expected);
  });
});
