import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { GuardedPath, GuardOptions, guardPath, openGuardedFile, PathKind, readChunks, realRoots } from '../common/path-guard';
import { ImageHeader, readImageHeader } from '../imaging/image-header';
import { IngestJobEntity, IngestJobStatus, IngestRowError } from './ingest-job.entity';
import { LesionRecord } from '../deeplesion/lesion-record';
import { offsetByEarlierBatches } from '../deeplesion/lesion-numbering';
import { crashPoint } from '../common/crash-point';

/**
 * Moves a job's cursor past a batch and adds its counts and errors (up to `maxStoredErrors` in all), in the
 * batch's transaction: the CSV import and the DICOM import commit their batches with it.
 */
export async function advanceJob(
  runner: QueryRunner,
  jobId: string,
  batch: { cursor: number; imported: number; skipped: number; errors: IngestRowError[] },
  maxStoredErrors: number,
): Promise<void> {
  await runner.query(
    `UPDATE ingest_job SET cursor = $2, imported_rows = imported_rows + $3, skipped_rows = skipped_rows + $4,
        errors = CASE WHEN jsonb_array_length(errors) >= $6 THEN errors
                      ELSE errors || (SELECT coalesce(jsonb_agg(e), '[]') FROM (SELECT e FROM jsonb_array_elements($5::jsonb) e LIMIT greatest($6 - jsonb_array_length(errors), 0)) x) END,
        updated_at = now()
      WHERE id = $1`,
    [jobId, batch.cursor, batch.imported, batch.skipped, JSON.stringify(batch.errors), maxStoredErrors],
  );
}

/** A record whose image was found and checked, with absolute paths resolved. */
export interface CheckedLesion {
  record: LesionRecord;
  imagePath: string;
  slicesDir: string | null;
  imageWidth: number;
  imageHeight: number;
}

/** An open CSV: `chunks()` reads it from its start each time (the same file, however its path changes). */
export interface CsvSource {
  size: number;
  chunks(): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

export interface BatchProgress {
  cursor: number;
  imported: number;
  skipped: number;
  errors: IngestRowError[];
  /** Valid rows of the batch per DeepLesion key slice (lesion-numbering.ts); empty for other sources. */
  keySliceCounts: ReadonlyMap<number, number>;
}

// A PNG's IHDR is in its first 33 bytes; a JPEG's frame header follows its EXIF/JFIF segments, which
// can be long, so JPEGs get a second, larger read when the first does not reach it.
const FIRST_READ_BYTES = 4096;
const JPEG_READ_BYTES = 256 * 1024;

/** Files and database writes of the importer; the service decides what to write. */
@Injectable()
export class IngestRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  realRoots(roots: readonly string[]): Promise<string[]> {
    return realRoots(roots);
  }

  /** Throws PathRefusedError for a path outside the roots, missing, of the wrong kind or too large. */
  guard(target: string, kind: PathKind, options: GuardOptions): Promise<GuardedPath> {
    return guardPath(target, kind, options);
  }

  async openCsv(guarded: GuardedPath, maxBytes: number): Promise<CsvSource> {
    const handle = await openGuardedFile(guarded);
    return { size: guarded.stat.size, chunks: () => readChunks(handle, maxBytes), close: () => handle.close().catch(() => undefined) };
  }

  /**
   * Reads only the first bytes of an image, enough for its header, after the same checks as the CSV
   * (a symlink leading out of the roots, a device or a file over the bound is refused before it is opened).
   * Returns the real path of the file it read.
   */
  async readImageHeader(file: string, options: GuardOptions): Promise<{ header: ImageHeader; path: string }> {
    const guarded = await guardPath(file, 'file', options);
    return { header: await this.readHeader(await openGuardedFile(guarded)), path: guarded.path };
  }

  private async readHeader(handle: fs.FileHandle): Promise<ImageHeader> {
    try {
      const first = Buffer.allocUnsafe(FIRST_READ_BYTES);
      const { bytesRead } = await handle.read(first, 0, FIRST_READ_BYTES, 0);
      const isJpeg = first[0] === 0xff && first[1] === 0xd8;
      if (!isJpeg || bytesRead < FIRST_READ_BYTES) return readImageHeader(first.subarray(0, bytesRead));
      try {
        return readImageHeader(first);
      } catch {
        const more = Buffer.allocUnsafe(JPEG_READ_BYTES);
        const { bytesRead: moreRead } = await handle.read(more, 0, JPEG_READ_BYTES, 0);
        return readImageHeader(more.subarray(0, moreRead));
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Runs `work` on one connection holding a session advisory lock for this source, so two imports of
   * the same file never interleave. The lock dies with the connection, so a killed importer frees it.
   * `wait`: block until the holder lets go (a queued job's second delivery stands by behind the first).
   */
  async withSourceLock<T>(fingerprint: string, work: (runner: QueryRunner) => Promise<T>, options: { wait?: boolean } = {}): Promise<T | 'locked'> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const key = lockKey(fingerprint);
      if (options.wait) await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      else if (!(await this.tryLockUnlessRunning(runner, key, fingerprint))) return 'locked';
      try {
        return await work(runner);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The lock, unless an import of this file is really running. A job is marked finished a moment before
   * its holder releases the lock; a re-run that lands in that gap waits for it (up to 5 s) instead of
   * answering 409 "already running" for an import that has ended.
   */
  private async tryLockUnlessRunning(runner: QueryRunner, key: string, fingerprint: string): Promise<boolean> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
      if (locked) return true;
      const running = await runner.query(`SELECT 1 FROM ingest_job WHERE fingerprint = $1 AND status IN ('running', 'queued') LIMIT 1`, [fingerprint]);
      if (running.length || Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async findResumable(runner: QueryRunner, fingerprint: string): Promise<IngestJobEntity | null> {
    return runner.manager.findOne(IngestJobEntity, {
      where: [
        { fingerprint, status: 'running' },
        { fingerprint, status: 'interrupted' },
        { fingerprint, status: 'queued' },
      ],
      order: { startedAt: 'DESC' },
    });
  }

  async createJob(
    runner: QueryRunner,
    job: Pick<IngestJobEntity, 'format' | 'dataset' | 'csvPath' | 'imagesDir' | 'fingerprint' | 'totalRows'>,
    status: 'running' | 'queued' = 'running',
  ): Promise<IngestJobEntity> {
    const now = new Date();
    return runner.manager.save(
      runner.manager.create(IngestJobEntity, {
        ...job,
        status,
        cursor: 0,
        importedRows: 0,
        skippedRows: 0,
        embeddedRows: 0,
        errors: [],
        message: null,
        startedAt: now,
        updatedAt: now,
        finishedAt: null,
      }),
    );
  }

  async markRunning(runner: QueryRunner, jobId: string): Promise<void> {
    await runner.manager.update(IngestJobEntity, { id: jobId }, { status: 'running', updatedAt: new Date() });
  }

  /** Waiting on the job queue (again): a worker will resume it from its cursor. */
  async markQueued(runner: QueryRunner, jobId: string, message: string | null = null): Promise<void> {
    await runner.manager.update(IngestJobEntity, { id: jobId }, { status: 'queued', message, updatedAt: new Date(), finishedAt: null });
  }

  findJob(runner: QueryRunner, id: string): Promise<IngestJobEntity | null> {
    return runner.manager.findOne(IngestJobEntity, { where: { id } });
  }

  async finishJob(jobId: string, status: IngestJobStatus, message: string | null, runner?: QueryRunner): Promise<void> {
    const manager = runner?.manager ?? this.dataSource.manager;
    await manager.update(IngestJobEntity, { id: jobId }, { status, message, updatedAt: new Date(), finishedAt: status === 'interrupted' ? null : new Date() });
    // A finished job is never resumed: its key slices' counts are of no further use.
    if (status !== 'interrupted') await manager.query('DELETE FROM ingest_key_slice_count WHERE job_id = $1', [jobId]);
  }

  getJob(id: string): Promise<IngestJobEntity | null> {
    return this.dataSource.manager.findOne(IngestJobEntity, { where: { id } });
  }

  listJobs(limit: number): Promise<IngestJobEntity[]> {
    return this.dataSource.manager.find(IngestJobEntity, { order: { startedAt: 'DESC' }, take: limit });
  }

  /** Jobs left 'running' by a process that died: nobody holds their lock any more. */
  async markOrphansInterrupted(): Promise<number> {
    const [{ count }] = await this.dataSource.query(
      `WITH orphans AS (
         UPDATE ingest_job SET status = 'interrupted', updated_at = now()
          WHERE status = 'running'
            AND pg_try_advisory_lock(('x' || substr(md5(fingerprint), 1, 16))::bit(64)::bigint)
          RETURNING id, pg_advisory_unlock(('x' || substr(md5(fingerprint), 1, 16))::bit(64)::bigint))
       SELECT count(*)::int AS count FROM orphans`,
    );
    return count;
  }

  /** The latest completed job for this exact source, if any. */
  findCompleted(fingerprint: string): Promise<IngestJobEntity | null> {
    return this.dataSource.manager.findOne(IngestJobEntity, { where: { fingerprint, status: 'completed' }, order: { finishedAt: 'DESC' } });
  }

  /**
   * One batch, one transaction: upsert patients → studies → series → lesions on their natural keys,
   * then move the job's cursor. A crash before COMMIT leaves neither the rows nor the cursor, nor the
   * key slices' running counts that number the batch's lesions after those of earlier batches.
   */
  async commitBatch(
    runner: QueryRunner,
    dataset: string,
    jobId: string,
    lesions: CheckedLesion[],
    progress: BatchProgress,
    maxStoredErrors: number,
  ): Promise<number[]> {
    await runner.startTransaction();
    try {
      const before = await this.countKeySlices(runner, jobId, progress.keySliceCounts);
      const numbered = before.size ? lesions.map((l) => ({ ...l, record: offsetByEarlierBatches(l.record, before) })) : lesions;
      const ids = numbered.length ? await this.upsertLesions(runner, dataset, numbered) : [];
      await advanceJob(runner, jobId, progress, maxStoredErrors);
      crashPoint('ingest-before-commit');
      await runner.commitTransaction();
      return ids;
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    }
  }

  /** Adds the batch's counts to the job's running counts; returns each key slice's count before them (when not 0). */
  private async countKeySlices(runner: QueryRunner, jobId: string, counts: ReadonlyMap<number, number>): Promise<Map<number, number>> {
    if (!counts.size) return new Map();
    const keys = [...counts.keys()];
    const rows: { key_slice: string; seen: number }[] = await runner.query(
      `INSERT INTO ingest_key_slice_count (job_id, key_slice, seen)
         SELECT $1, * FROM unnest($2::bigint[], $3::int[])
       ON CONFLICT (job_id, key_slice) DO UPDATE SET seen = ingest_key_slice_count.seen + EXCLUDED.seen
       RETURNING key_slice, seen`,
      [jobId, keys, keys.map((k) => counts.get(k))],
    );
    const before = new Map<number, number>();
    for (const row of rows) {
      const key = Number(row.key_slice);
      const earlier = row.seen - counts.get(key)!;
      if (earlier > 0) before.set(key, earlier);
    }
    return before;
  }

  async addEmbedded(jobId: string, count: number, runner: QueryRunner): Promise<void> {
    await runner.query('UPDATE ingest_job SET embedded_rows = embedded_rows + $2, updated_at = now() WHERE id = $1', [jobId, count]);
  }

  /** Returns the ids of the upserted lesions. */
  private async upsertLesions(runner: QueryRunner, dataset: string, lesions: CheckedLesion[]): Promise<number[]> {
    const patients = uniqueBy(lesions, (l) => `${l.record.patientIndex}`);
    const patientRows: { id: number; patient_index: number }[] = await runner.query(
      `INSERT INTO patient (dataset, patient_index, sex)
         SELECT $1, * FROM unnest($2::int[], $3::char(1)[])
       ON CONFLICT (dataset, patient_index) DO UPDATE SET sex = coalesce(EXCLUDED.sex, patient.sex)
       RETURNING id, patient_index`,
      [dataset, patients.map((l) => l.record.patientIndex), patients.map((l) => l.record.sex)],
    );
    const patientId = new Map(patientRows.map((r) => [r.patient_index, r.id]));

    const studies = uniqueBy(lesions, (l) => `${l.record.patientIndex}/${l.record.studyIndex}`);
    const studyRows: { id: number; patient_id: number; study_index: number }[] = await runner.query(
      `INSERT INTO study (patient_id, study_index, age_years)
         SELECT * FROM unnest($1::int[], $2::int[], $3::real[])
       ON CONFLICT (patient_id, study_index) DO UPDATE SET age_years = coalesce(EXCLUDED.age_years, study.age_years)
       RETURNING id, patient_id, study_index`,
      [studies.map((l) => patientId.get(l.record.patientIndex)), studies.map((l) => l.record.studyIndex), studies.map((l) => l.record.age)],
    );
    const studyId = new Map(studyRows.map((r) => [`${r.patient_id}/${r.study_index}`, r.id]));
    const studyOf = (l: CheckedLesion) => studyId.get(`${patientId.get(l.record.patientIndex)}/${l.record.studyIndex}`)!;

    const series = uniqueBy(lesions, (l) => `${l.record.patientIndex}/${l.record.studyIndex}/${l.record.seriesIndex}`);
    const seriesRows: { id: number; study_id: number; series_index: number }[] = await runner.query(
      `INSERT INTO series (study_id, series_index, spacing_x_mm, spacing_y_mm, spacing_z_mm, image_width, image_height, slice_first, slice_last, slices_dir)
         SELECT * FROM unnest($1::int[], $2::int[], $3::real[], $4::real[], $5::real[], $6::int[], $7::int[], $8::int[], $9::int[], $10::text[])
       ON CONFLICT (study_id, series_index) DO UPDATE SET
         spacing_x_mm = coalesce(EXCLUDED.spacing_x_mm, series.spacing_x_mm),
         spacing_y_mm = coalesce(EXCLUDED.spacing_y_mm, series.spacing_y_mm),
         spacing_z_mm = coalesce(EXCLUDED.spacing_z_mm, series.spacing_z_mm),
         image_width = EXCLUDED.image_width, image_height = EXCLUDED.image_height,
         slice_first = least(EXCLUDED.slice_first, series.slice_first),
         slice_last = greatest(EXCLUDED.slice_last, series.slice_last),
         slices_dir = coalesce(EXCLUDED.slices_dir, series.slices_dir)
       RETURNING id, study_id, series_index`,
      [
        series.map(studyOf),
        series.map((l) => l.record.seriesIndex),
        series.map((l) => l.record.spacing?.x ?? null),
        series.map((l) => l.record.spacing?.y ?? null),
        series.map((l) => l.record.spacing?.z ?? null),
        series.map((l) => l.imageWidth),
        series.map((l) => l.imageHeight),
        series.map((l) => l.record.sliceRange?.first ?? null),
        series.map((l) => l.record.sliceRange?.last ?? null),
        series.map((l) => l.slicesDir),
      ],
    );
    const seriesId = new Map(seriesRows.map((r) => [`${r.study_id}/${r.series_index}`, r.id]));

    // The last row wins when a file names the same lesion twice.
    const unique = [
      ...new Map(
        lesions.map((l) => [`${l.record.patientIndex}/${l.record.studyIndex}/${l.record.seriesIndex}/${l.record.keySliceIndex}/${l.record.lesionInImage}`, l]),
      ).values(),
    ];
    const col = <T>(f: (l: CheckedLesion) => T) => unique.map(f);
    const mm = (l: CheckedLesion, px: number | null) => (px !== null && l.record.spacing ? px * l.record.spacing.x : null);
    const inserted: { id: number }[] = await runner.query(
      `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2,
          recist, long_axis_px, short_axis_px, long_axis_mm, short_axis_mm, location_x, location_y, location_z,
          coarse_type, possibly_noisy, split, window_low, window_high, source_file_name, source_row,
          image_path, image_encoding, image_hu_low, image_hu_high)
       SELECT s, st, p, k, li, x1, y1, x2, y2, r::real[], lpx, spx, lmm, smm, lx, ly, lz, ct, noisy, sp, wl, wh, fname, srow, ipath, enc, hlo, hhi
         FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::real[], $7::real[], $8::real[], $9::real[],
                     $10::text[], $11::real[], $12::real[], $13::real[], $14::real[], $15::real[], $16::real[], $17::real[],
                     $18::smallint[], $19::boolean[], $20::smallint[], $21::real[], $22::real[], $23::text[], $24::int[],
                     $25::text[], $26::text[], $27::real[], $28::real[])
           AS t(s, st, p, k, li, x1, y1, x2, y2, r, lpx, spx, lmm, smm, lx, ly, lz, ct, noisy, sp, wl, wh, fname, srow, ipath, enc, hlo, hhi)
       ON CONFLICT (series_id, key_slice_index, lesion_in_image) DO UPDATE SET
         box_x1 = EXCLUDED.box_x1, box_y1 = EXCLUDED.box_y1, box_x2 = EXCLUDED.box_x2, box_y2 = EXCLUDED.box_y2,
         recist = EXCLUDED.recist, long_axis_px = EXCLUDED.long_axis_px, short_axis_px = EXCLUDED.short_axis_px,
         long_axis_mm = EXCLUDED.long_axis_mm, short_axis_mm = EXCLUDED.short_axis_mm,
         location_x = EXCLUDED.location_x, location_y = EXCLUDED.location_y, location_z = EXCLUDED.location_z,
         coarse_type = EXCLUDED.coarse_type, possibly_noisy = EXCLUDED.possibly_noisy, split = EXCLUDED.split,
         window_low = EXCLUDED.window_low, window_high = EXCLUDED.window_high, source_file_name = EXCLUDED.source_file_name,
         source_row = EXCLUDED.source_row, image_path = EXCLUDED.image_path, image_encoding = EXCLUDED.image_encoding,
         image_hu_low = EXCLUDED.image_hu_low, image_hu_high = EXCLUDED.image_hu_high, updated_at = now()
       RETURNING id`,
      [
        col((l) => seriesId.get(`${studyOf(l)}/${l.record.seriesIndex}`)),
        col(studyOf),
        col((l) => patientId.get(l.record.patientIndex)),
        col((l) => l.record.keySliceIndex),
        col((l) => l.record.lesionInImage),
        col((l) => l.record.box.x1),
        col((l) => l.record.box.y1),
        col((l) => l.record.box.x2),
        col((l) => l.record.box.y2),
        col((l) => (l.record.recist ? `{${l.record.recist.join(',')}}` : null)),
        col((l) => l.record.longAxisPx),
        col((l) => l.record.shortAxisPx),
        col((l) => mm(l, l.record.longAxisPx)),
        col((l) => mm(l, l.record.shortAxisPx)),
        col((l) => l.record.location?.x ?? null),
        col((l) => l.record.location?.y ?? null),
        col((l) => l.record.location?.z ?? null),
        col((l) => l.record.coarseType),
        col((l) => l.record.possiblyNoisy),
        col((l) => l.record.split),
        col((l) => l.record.window?.low ?? null),
        col((l) => l.record.window?.high ?? null),
        col((l) => l.record.sourceFileName),
        col((l) => l.record.sourceRow),
        col((l) => l.imagePath),
        col((l) => l.record.imageEncoding),
        col((l) => l.record.imageWindow?.low ?? null),
        col((l) => l.record.imageWindow?.high ?? null),
      ],
    );
    return inserted.map((r) => r.id);
  }
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((i) => [key(i), i])).values()];
}

/** Same mapping as the SQL in markOrphansInterrupted: first 64 bits of md5(fingerprint). */
export function lockKey(fingerprint: string): string {
  return BigInt.asIntN(64, BigInt('0x' + createHash('md5').update(fingerprint).digest('hex').slice(0, 16))).toString();
}

export function resolveInside(root: string, relative: string): string {
  const resolved = path.resolve(root, relative);
  if (!resolved.startsWith(path.resolve(root) + path.sep)) throw new Error(`path escapes the images folder: ${relative}`);
  return resolved;
}
