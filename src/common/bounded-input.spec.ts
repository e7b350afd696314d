import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { BoundedInt, BoundedNumber, IdInt, isStorableMagnitude, OptionalNotNull } from './bounded-input';
import { ParseIdPipe } from './parse-id.pipe';

class Probe {
  @OptionalNotNull()
  @IdInt()
  id?: number;

  @OptionalNotNull()
  @BoundedInt(0, 10)
  small?: number;

  @OptionalNotNull()
  @BoundedNumber(0, 150)
  age?: number;
}

const errors = (plain: object) => validateSync(plainToInstance(Probe, plain)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('bounded DTO decorators', () => {
  it('take values in range, from numbers or strings, and absent fields', () => {
    expect(errors({ id: 2147483647, small: '10', age: '0' })).toEqual([]);
    expect(errors({ age: 1e-30 })).toEqual([]);
    expect(errors({})).toEqual([]);
  });

  it('refuse ids beyond int4, huge, subnormal and non-finite numbers with the range in the message', () => {
    expect(errors({ id: 2147483648 })).toEqual(['id must not be greater than 2147483647']);
    expect(errors({ id: '1e308' })).toEqual(['id must not be greater than 2147483647']);
    expect(errors({ small: 1.5 })).toEqual(['small must be an integer number']);
    expect(errors({ age: '1e-320' })).toEqual(['age must be 0 or at least 1e-30 in magnitude']);
    expect(errors({ age: 'Infinity' })).toEqual(expect.arrayContaining(['age must not be greater than 150']));
    expect(errors({ age: 'NaN' })).toEqual(expect.arrayContaining([expect.stringMatching(/^age must be a number/)]));
  });

  it('refuse null where a value is optional', () => {
    expect(errors({ id: null })).toEqual(expect.arrayContaining(['id must not be null (leave it out instead)']));
  });

  it('isStorableMagnitude: 0 and real-sized magnitudes, not subnormal-sized ones', () => {
    expect([0, -0, 1e-30, -2.5, 1e30].map(isStorableMagnitude)).toEqual([true, true, true, true, true]);
    expect([1e-320, -1e-40, Number.MIN_VALUE].map(isStorableMagnitude)).toEqual([false, false, false]);
  });
});

describe('ParseIdPipe', () => {
  const pipe = new ParseIdPipe();
  const meta = { type: 'param' as const, data: 'id' };
  it('parses 1..2147483647 and refuses the rest with 400', () => {
    expect(pipe.transform('1', meta)).toBe(1);
    expect(pipe.transform('2147483647', meta)).toBe(2147483647);
    for (const bad of ['0', '2147483648', '99999999999', '-1', '1e3', '1.0', '', ' 1', '0x10']) {
      expect(() => pipe.transform(bad, meta)).toThrow('id must be an integer from 1 to 2147483647');
    }
  });
});
