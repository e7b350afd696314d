import { constants, Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Server paths named by a request (import sources, detection series) are only read under configured
 * roots, with symlinks followed before the check, only as the kind of entry expected (no devices, FIFOs
 * or sockets) and only up to a size bound.
 */
export type PathKind = 'file' | 'directory';

/**
 * 'not-found' covers "outside the roots", "does not exist" and "cannot be read" alike, so an answer never
 * tells whether a path outside the roots exists.
 */
export type PathRefusal = 'not-found' | 'wrong-kind' | 'too-large';

export class PathRefusedError extends Error {
  constructor(
    readonly reason: PathRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface GuardedPath {
  /** The real path: symlinks resolved, inside the roots. */
  path: string;
  stat: Stats;
}

export interface GuardOptions {
  /** Real paths of the folders the path must lie in (see realRoots); null: anywhere (an operator's own paths). */
  roots: readonly string[] | null;
  /** Files only: refused above this many bytes. */
  maxBytes?: number;
}

/** True when `target` is `root` or lies below it (both absolute and normalised). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** The roots' real paths; a root that does not exist holds nothing and is dropped. */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => null)));
  return real.filter((r): r is string => r !== null);
}

/**
 * Resolves `target` (relative to the working directory) with every symlink followed and checks the real
 * path against the roots, then its kind and size. Nothing is opened, so a FIFO cannot block.
 */
export async function guardPath(target: string, kind: PathKind, options: GuardOptions): Promise<GuardedPath> {
  const notFound = () => new PathRefusedError('not-found', options.roots ? 'not found under the allowed roots' : 'not found or not readable');
  let real: string;
  let stat: Stats;
  try {
    real = await fs.realpath(path.resolve(target));
    if (options.roots && !options.roots.some((root) => isInside(root, real))) throw notFound();
    stat = await fs.stat(real);
  } catch (error) {
    if (error instanceof PathRefusedError) throw error;
    throw notFound();
  }
  if (kind === 'directory' && !stat.isDirectory()) throw new PathRefusedError('wrong-kind', 'not a folder');
  if (kind === 'file' && !stat.isFile()) {
    throw new PathRefusedError('wrong-kind', stat.isDirectory() ? 'a folder, not a file' : 'not a regular file (devices, FIFOs and sockets are refused)');
  }
  if (kind === 'file' && options.maxBytes !== undefined && stat.size > options.maxBytes) {
    throw new PathRefusedError('too-large', `${stat.size} bytes, over the limit of ${options.maxBytes}`);
  }
  return { path: real, stat };
}

/**
 * Opens a file guardPath accepted: without following a symlink swapped in since, without blocking should a
 * FIFO have been swapped in, and only if it is still the same regular file.
 */
export async function openGuardedFile(guarded: GuardedPath): Promise<fs.FileHandle> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(guarded.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    throw new PathRefusedError('not-found', 'not found or not readable');
  }
  const stat = await handle.stat().catch(() => null);
  if (!stat || !stat.isFile() || stat.ino !== guarded.stat.ino || stat.dev !== guarded.stat.dev) {
    await handle.close();
    throw new PathRefusedError('wrong-kind', 'changed while it was being opened');
  }
  return handle;
}

/** Reads a guarded file whole (it was size-checked), never more than `maxBytes` should it have grown. */
export async function readGuardedFile(guarded: GuardedPath, maxBytes: number): Promise<Buffer> {
  const handle = await openGuardedFile(guarded);
  try {
    const buffer = Buffer.allocUnsafe(Math.min(guarded.stat.size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * The bytes of an open file from its start, chunk by chunk (each a fresh buffer), failing once more than
 * `maxBytes` have come: a file that grows while read cannot make the reader unbounded.
 */
export async function* readChunks(handle: fs.FileHandle, maxBytes: number, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  let position = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    const { bytesRead } = await handle.read(chunk, 0, chunkBytes, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    if (position > maxBytes) throw new PathRefusedError('too-large', `more than ${maxBytes} bytes`);
    yield bytesRead === chunkBytes ? chunk : chunk.subarray(0, bytesRead);
  }
}
