import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { CachedStudy } from './pacs-cache';

const NAME = /^[0-9a-f]{32}$/;
const FILE = /^[0-9a-f]{32}\.dcm$/;

/**
 * The PACS import cache on disk: one folder per study (`{keyed hash}/`), one file per instance
 * (`{keyed hash}.dcm`), written as temp file + rename so a file that exists is whole. Only names this
 * cache makes are read or deleted.
 */
@Injectable()
export class PacsCacheRepository {
  /** The cache's study folders with their sizes and last use (the folder's mtime, touched on use). */
  async studies(root: string): Promise<CachedStudy[]> {
    const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
    const studies: CachedStudy[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !NAME.test(entry.name)) continue;
      const dir = path.join(root, entry.name);
      const stat = await fs.stat(dir).catch(() => null);
      if (!stat) continue;
      let bytes = 0;
      for (const file of await fs.readdir(dir).catch(() => [] as string[])) {
        bytes += (await fs.stat(path.join(dir, file)).catch(() => null))?.size ?? 0;
      }
      studies.push({ name: entry.name, bytes, lastUsedMs: stat.mtimeMs });
    }
    return studies;
  }

  /** The instance files a study folder already holds (whole ones: temp files are not counted). */
  async instances(root: string, study: string): Promise<Set<string>> {
    const names = await fs.readdir(path.join(root, study)).catch(() => [] as string[]);
    return new Set(names.filter((n) => FILE.test(n)));
  }

  async writeInstance(root: string, study: string, name: string, bytes: Uint8Array): Promise<void> {
    const dir = path.join(root, study);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const target = path.join(dir, name);
    const temp = `${target}.${process.pid}.tmp`;
    await fs.writeFile(temp, bytes, { mode: 0o600 });
    await fs.rename(temp, target);
  }

  /** Marks a study as just used (eviction takes the oldest first). */
  async touch(root: string, study: string): Promise<void> {
    const now = new Date();
    await fs.mkdir(path.join(root, study), { recursive: true, mode: 0o700 });
    await fs.utimes(path.join(root, study), now, now);
  }

  async removeStudy(root: string, study: string): Promise<void> {
    if (!NAME.test(study)) return;
    await fs.rm(path.join(root, study), { recursive: true, force: true });
  }
}
