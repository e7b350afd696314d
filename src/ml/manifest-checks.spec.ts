import { checkNormalisation, checkWindows, headProblems, manifestObject } from './manifest-checks';

describe('manifest checks', () => {
  it('refuses a manifest that is no object with the validator’s own error', () => {
    class OwnError extends Error {}
    expect(() => manifestObject(null, (message) => new OwnError(message))).toThrow(OwnError);
    expect(() => manifestObject('x', (message) => new OwnError(message))).toThrow('manifest is not a JSON object');
    expect(manifestObject({ a: 1 }, (message) => new OwnError(message))).toEqual({ a: 1 });
  });

  it('lists schema, name and model file problems, in that order', () => {
    expect(headProblems({ schema: 'x/v1', name: 'ok-name', model: { file: 'model.onnx' } }, 'x/v1')).toEqual([]);
    expect(headProblems({ schema: 'y', name: 'Bad Name', model: { file: '../model.onnx' } }, 'x/v1')).toEqual([
      'schema must be "x/v1"',
      'name must be 1-64 of a-z 0-9 . _ -',
      'model.file must be a .onnx file name beside the manifest',
    ]);
  });

  it('checks windows and a normalisation for each windows × slices channel', () => {
    const problems: string[] = [];
    checkWindows(problems, [[-100, 200]]);
    checkNormalisation(problems, {
      windows: [
        [0, 1],
        [2, 3],
      ],
      sliceOffsetsMm: [0],
      normalisation: { mean: [0, 0], std: [1, 1] },
    });
    expect(problems).toEqual([]);
    checkWindows(problems, [[200, -100]]);
    checkNormalisation(problems, { windows: [[0, 1]], sliceOffsetsMm: [-2, 0, 2], normalisation: { mean: [0], std: [1] } });
    expect(problems).toEqual([
      'input.windows must be a non-empty list of [low, high] HU with high > low',
      'input.normalisation needs mean and std (std > 0) for each of the 3 channels',
    ]);
  });
});
