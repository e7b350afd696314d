import * as jpeg from 'jpeg-js';
import { flatGreyJpeg } from '../../../test/helpers/big-jpeg';
import { CodecError } from './frame';
import { decodeJpeg8 } from './jpeg-baseline';

describe('decodeJpeg8 (uploaded 8-bit JPEGs through libjpeg-turbo)', () => {
  it('keeps a grey JPEG one channel, at the size its header gives', () => {
    const image = decodeJpeg8(flatGreyJpeg(72, 40));
    expect(image).toMatchObject({ width: 72, height: 40, channels: 1 });
    expect(image.samples.length).toBe(72 * 40);
    expect(new Set(image.samples)).toEqual(new Set([128]));
  });

  it('decodes a colour JPEG to interleaved RGB', () => {
    const data = Buffer.alloc(16 * 8 * 4);
    for (let i = 0; i < 16 * 8; i++) data.set([200, 40, 90, 255], i * 4);
    const image = decodeJpeg8(jpeg.encode({ width: 16, height: 8, data }, 95).data);
    expect(image).toMatchObject({ width: 16, height: 8, channels: 3 });
    expect(Math.abs(image.samples[0] - 200)).toBeLessThan(8);
    expect(Math.abs(image.samples[1] - 40)).toBeLessThan(8);
  });

  it('refuses a cut-off JPEG with a 422 and keeps decoding the next one', () => {
    const whole = flatGreyJpeg(64, 64);
    expect(() => decodeJpeg8(whole.subarray(0, whole.length / 2))).toThrow(
      expect.objectContaining({ status: 422, message: expect.stringMatching(/^corrupt JPEG/) }),
    );
    expect(decodeJpeg8(whole).width).toBe(64);
  });

  it('refuses 12-bit samples with a 415', () => {
    const twelveBit = Buffer.from(flatGreyJpeg(32, 32));
    const sof = twelveBit.indexOf(Buffer.from([0xff, 0xc0]));
    twelveBit[sof + 4] = 12;
    expect(() => decodeJpeg8(twelveBit)).toThrow(CodecError);
    expect(() => decodeJpeg8(twelveBit)).toThrow(expect.objectContaining({ status: 415 }));
  });
});
