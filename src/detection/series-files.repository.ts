import * as fs from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { guardPath, readGuardedFile } from '../common/path-guard';

/** Reading series folders from the server's disk for detection jobs. */
@Injectable()
export class SeriesFilesRepository {
  /** The real path (symlinks resolved) of a folder, or null when it is not a readable folder. */
  async realFolder(dir: string): Promise<string | null> {
    try {
      const real = await fs.realpath(dir);
      return (await fs.stat(real)).isDirectory() ? real : null;
    } catch {
      return null;
    }
  }

  /** Slice files of a DeepLesion series folder ({slice}.png), in slice order. */
  async listSlices(dir: string): Promise<string[]> {
    const names = (await fs.readdir(dir)).filter((n) => /\.(png|dcm|jpe?g)$/i.test(n));
    return names.sort((a, b) => sliceNumber(a) - sliceNumber(b) || a.localeCompare(b));
  }

  /**
   * A slice file's bytes, only when its real path (symlinks followed) lies under `root` and it is a
   * regular file of at most `maxBytes`; otherwise PathRefusedError, before anything is read.
   */
  async readSliceFile(file: string, root: string, maxBytes: number): Promise<Buffer> {
    return readGuardedFile(await guardPath(file, 'file', { roots: [root], maxBytes }), maxBytes);
  }
}

function sliceNumber(name: string): number {
  const m = /(\d+)\.[a-z]+$/i.exec(name);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}
