/**
 * A model folder name as an admin gives it: one plain folder directly under MODELS_DIR (no path
 * separators, no "..", no leading dot), so registering a model can never read outside that folder.
 */
export const MODEL_FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isPlainFolderName(name: unknown): name is string {
  return typeof name === 'string' && MODEL_FOLDER.test(name) && !name.includes('..');
}
