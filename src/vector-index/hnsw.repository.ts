import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { HierarchicalNSW } from 'hnswlib-node';

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
}

/** hnswlib-node and its files. Cosine space: hnswlib normalises vectors on insert and query. */
@Injectable()
export class HnswRepository {
  create(dim: number, capacity: number, params: HnswParams): HierarchicalNSW {
    const index = new HierarchicalNSW('cosine', dim);
    index.initIndex({ maxElements: Math.max(capacity, 16), m: params.m, efConstruction: params.efConstruction, randomSeed: 100 });
    index.setEf(params.efSearch);
    return index;
  }

  /** Reads a snapshot after checking its checksum; null when the file is missing or does not match. */
  async load(file: string, dim: number, checksum: string, efSearch: number): Promise<HierarchicalNSW | null> {
    const actual = await fileChecksum(file).catch(() => null);
    if (actual !== checksum) return null;
    const index = new HierarchicalNSW('cosine', dim);
    await index.readIndex(file);
    // ef is not stored in the file.
    index.setEf(efSearch);
    return index;
  }

  /** Writes to a temporary file and renames it into place, so a crash never leaves half a snapshot. */
  async save(index: HierarchicalNSW, file: string): Promise<string> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.tmp-${process.pid}`;
    await index.writeIndex(temporary);
    const checksum = await fileChecksum(temporary);
    await fs.rename(temporary, file);
    return checksum;
  }

  async remove(file: string): Promise<void> {
    await fs.rm(file, { force: true });
  }
}

async function fileChecksum(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}
