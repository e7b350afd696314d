/**
 * Checks the encoder's and the detector's manifests share: an object with a schema, a model folder
 * name and an ONNX file beside the manifest, and the windows × slices channels of the input with their
 * optional normalisation. The validators list every problem at once: each check adds its own.
 */

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The parsed manifest as the object it must be, or the validator's error. */
export function manifestObject<T>(raw: unknown, fail: (message: string) => Error): Partial<T> {
  if (!raw || typeof raw !== 'object') throw fail('manifest is not a JSON object');
  return raw as Partial<T>;
}

/** The problems with a manifest's schema, name and model file: where every list of problems starts. */
export function headProblems(m: { schema?: unknown; name?: unknown; model?: { file?: unknown } }, schema: string): string[] {
  const problems: string[] = [];
  if (m.schema !== schema) problems.push(`schema must be "${schema}"`);
  checkModelName(problems, m.name);
  checkOnnxFile(problems, m.model);
  return problems;
}

function checkModelName(problems: string[], name: unknown): void {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) problems.push('name must be 1-64 of a-z 0-9 . _ -');
}

function checkOnnxFile(problems: string[], model: { file?: unknown } | undefined): void {
  if (!model || typeof model.file !== 'string' || !model.file.endsWith('.onnx') || /[\\/]/.test(model.file))
    problems.push('model.file must be a .onnx file name beside the manifest');
}

export function checkWindows(problems: string[], windows: unknown): void {
  if (
    !Array.isArray(windows) ||
    !windows.length ||
    !windows.every((w) => Array.isArray(w) && w.length === 2 && isFiniteNumber(w[0]) && isFiniteNumber(w[1]) && w[1] > w[0])
  ) {
    problems.push('input.windows must be a non-empty list of [low, high] HU with high > low');
  }
}

export function checkSliceOffsets(problems: string[], offsets: unknown): void {
  if (!Array.isArray(offsets) || !offsets.length || !offsets.every(isFiniteNumber)) problems.push('input.sliceOffsetsMm must be a non-empty list of numbers');
}

/** Per-channel mean and std, when given, for each of the windows × slices channels. */
export function checkNormalisation(
  problems: string[],
  input: { windows?: unknown[]; sliceOffsetsMm?: unknown[]; normalisation?: { mean?: unknown; std?: unknown } | null } | undefined,
): void {
  const channels = (input?.windows?.length ?? 0) * (input?.sliceOffsetsMm?.length ?? 0);
  const norm = input?.normalisation;
  if (
    norm &&
    (!Array.isArray(norm.mean) ||
      !Array.isArray(norm.std) ||
      norm.mean.length !== channels ||
      norm.std.length !== channels ||
      !norm.std.every((s) => isFiniteNumber(s) && s > 0))
  ) {
    problems.push(`input.normalisation needs mean and std (std > 0) for each of the ${channels} channels`);
  }
}
