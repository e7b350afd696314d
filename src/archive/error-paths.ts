import { filePathKey } from '../deid/pseudonym';
import { IngestRowError } from '../ingest-jobs/ingest-job.entity';

/** The labels the importer itself gives to the annotations CSV's problems: not paths, kept as they are. */
const OWN_LABEL = /^annotations( line \d+)?$/;

/**
 * Ingest errors as stored: each file path replaced by its keyed reference and its position among the
 * walked files (1-based, in path order), so nothing of a folder's or file's name is kept; pure.
 */
export function withoutPaths(errors: readonly IngestRowError[], secret: string, ordinals: ReadonlyMap<string, number>): IngestRowError[] {
  return errors.map((error) => {
    if (error.file === undefined || OWN_LABEL.test(error.file)) return error;
    const ordinal = ordinals.get(error.file);
    return { line: error.line, file: filePathKey(secret, error.file), ...(ordinal === undefined ? {} : { fileOrdinal: ordinal }), message: error.message };
  });
}

/** 1-based positions of the walked files by relative path. */
export function fileOrdinals(files: readonly { relPath: string }[]): Map<string, number> {
  return new Map(files.map((f, i) => [f.relPath, i + 1]));
}
