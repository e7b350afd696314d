import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { crashPoint } from '../common/crash-point';
import { IngestRowError } from '../ingest-jobs/ingest-job.entity';
import { advanceJob } from '../ingest-jobs/ingest.repository';
import { SeriesPlan } from './archive-plan';

export interface WalkedFile {
  /** Relative to the imported folder, '/'-separated. */
  relPath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface WalkLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxDepth: number;
}

export class TooManyFilesError extends Error {}

export interface SeriesCommit {
  dataset: string;
  jobId: string;
  plan: SeriesPlan;
  /** The series' folder of written slices, or null when none were written (no lesions). */
  slicesDir: string | null;
  /** Lesions whose key slice was written, with their lesion_in_image. */
  lesions: SeriesPlan['lesions'];
  cursor: number;
  errors: IngestRowError[];
  maxStoredErrors: number;
}

/** Files, the secret and the database writes of the DICOM import; the service decides what to write. */
@Injectable()
export class ArchiveRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Every regular file below `root`, sorted by relative path, bounded in count, size and depth. Symlinks are
   * not followed (a link could lead out of the allowed roots); devices and FIFOs are never opened.
   */
  async walk(root: string, limits: WalkLimits): Promise<{ files: WalkedFile[]; skipped: IngestRowError[] }> {
    const files: WalkedFile[] = [];
    const skipped: IngestRowError[] = [];
    const visit = async (dir: string, rel: string, depth: number): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        const absPath = path.join(dir, entry.name);
        if (entry.isSymbolicLink()) skipped.push({ line: 0, file: relPath, message: 'a symbolic link (not followed)' });
        else if (entry.isDirectory()) {
          if (depth >= limits.maxDepth) skipped.push({ line: 0, file: relPath, message: `folder nested deeper than ${limits.maxDepth} (ARCHIVE_MAX_DEPTH)` });
          else await visit(absPath, relPath, depth + 1);
        } else if (entry.isFile()) {
          const stat = await fs.lstat(absPath);
          if (stat.size > limits.maxFileBytes)
            skipped.push({ line: 0, file: relPath, message: `${stat.size} bytes, over the limit of ${limits.maxFileBytes} (ARCHIVE_MAX_FILE_BYTES)` });
          else {
            if (files.length >= limits.maxFiles) throw new TooManyFilesError(`more than ${limits.maxFiles} files (ARCHIVE_MAX_FILES)`);
            files.push({ relPath, absPath, size: stat.size, mtimeMs: stat.mtimeMs });
          }
        } else skipped.push({ line: 0, file: relPath, message: 'not a regular file' });
      }
    };
    await visit(root, '', 0);
    return { files, skipped };
  }

  /** A walked file's bytes, refused when it is no longer a regular file within the bound. */
  async readFile(file: WalkedFile, maxBytes: number): Promise<Buffer> {
    const stat = await fs.lstat(file.absPath);
    if (!stat.isFile() || stat.size > maxBytes) throw new Error('changed during the import');
    return fs.readFile(file.absPath);
  }

  /**
   * The configured DEID_SECRET or, for the embedded database only, one generated once and kept under
   * DATA_DIR (mode 600) so re-imports map to the same pseudonyms. Null: a shared database without a secret.
   */
  async secret(configured: string | null, embedded: boolean, dataDir: string): Promise<string | null> {
    if (configured) return configured;
    if (!embedded) return null;
    const file = path.join(dataDir, 'deid-secret');
    const existing = await fs.readFile(file, 'utf8').catch(() => null);
    if (existing?.trim()) return existing.trim();
    await fs.mkdir(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    try {
      await fs.writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return (await fs.readFile(file, 'utf8')).trim(); // another process wrote it first
    }
  }

  /** PACS imports: the studies the request found, retrieved so far, and (once completed) imported. */
  async setStudies(runner: QueryRunner, jobId: string, studies: { found?: number; retrieved?: number; imported?: true }): Promise<void> {
    await runner.query(
      `UPDATE ingest_job SET studies_found = coalesce($2, studies_found), studies_retrieved = coalesce($3, studies_retrieved),
          studies_imported = CASE WHEN $4 THEN studies_retrieved ELSE studies_imported END, updated_at = now() WHERE id = $1`,
      [jobId, studies.found ?? null, studies.retrieved ?? null, studies.imported === true],
    );
  }

  async setWalked(runner: QueryRunner, jobId: string, filesWalked: number, totalSeries: number): Promise<void> {
    await runner.query(`UPDATE ingest_job SET files_walked = $2, total_rows = $3, updated_at = now() WHERE id = $1`, [jobId, filesWalked, totalSeries]);
  }

  /** Problems found before any series (walk, headers, annotations), stored once per job. */
  async addProblems(runner: QueryRunner, jobId: string, errors: IngestRowError[], maxStoredErrors: number): Promise<void> {
    await runner.query(
      `UPDATE ingest_job SET skipped_rows = skipped_rows + $2,
          errors = (errors || (SELECT coalesce(jsonb_agg(e), '[]') FROM (SELECT e FROM jsonb_array_elements($3::jsonb) e LIMIT greatest($4 - jsonb_array_length(errors), 0)) x)),
          updated_at = now()
        WHERE id = $1`,
      [jobId, errors.length, JSON.stringify(errors), maxStoredErrors],
    );
  }

  /**
   * One series, one transaction: pseudonym → patient → study → series → lesions on their natural keys,
   * then the job's cursor. A crash before COMMIT leaves neither the rows nor the cursor; the slices
   * written before it are rewritten identically by the re-run.
   */
  async commitSeries(runner: QueryRunner, c: SeriesCommit): Promise<{ lesionIds: number[]; patientIndex: number }> {
    await runner.startTransaction();
    try {
      const { plan, dataset } = c;
      const patientIndex = await this.pseudonym(runner, dataset, plan.patientKeyHash);
      const [{ id: patientId }] = await runner.query(
        `INSERT INTO patient (dataset, patient_index, sex) VALUES ($1, $2, $3)
         ON CONFLICT (dataset, patient_index) DO UPDATE SET sex = coalesce(EXCLUDED.sex, patient.sex) RETURNING id`,
        [dataset, patientIndex, plan.sex],
      );
      let [study] = await runner.query(`SELECT id FROM study WHERE patient_id = $1 AND study_instance_uid = $2`, [patientId, plan.studyUid]);
      if (study)
        await runner.query(`UPDATE study SET study_date = coalesce($2::date, study_date), age_years = coalesce($3, age_years) WHERE id = $1`, [
          study.id,
          plan.studyDate,
          plan.ageYears,
        ]);
      else {
        [study] = await runner.query(
          `INSERT INTO study (patient_id, study_index, age_years, study_instance_uid, study_date)
             SELECT $1, coalesce(max(study_index), 0) + 1, $2, $3, $4::date FROM study WHERE patient_id = $1
           RETURNING id`,
          [patientId, plan.ageYears, plan.studyUid, plan.studyDate],
        );
      }
      const seriesValues = [
        plan.spacing.x,
        plan.spacing.y,
        plan.spacing.z,
        plan.width,
        plan.height,
        plan.slices.length - 1,
        c.slicesDir,
        plan.modality,
        plan.bodyPart,
        plan.kernel,
      ];
      let [series] = await runner.query(`SELECT id FROM series WHERE study_id = $1 AND series_instance_uid = $2`, [study.id, plan.seriesUid]);
      if (series) {
        await runner.query(
          `UPDATE series SET spacing_x_mm = $2, spacing_y_mm = $3, spacing_z_mm = $4, image_width = $5, image_height = $6, slice_first = 0, slice_last = $7,
              slices_dir = coalesce($8, slices_dir), modality = $9, body_part = $10, convolution_kernel = $11 WHERE id = $1`,
          [series.id, ...seriesValues],
        );
      } else {
        [series] = await runner.query(
          `INSERT INTO series (study_id, series_index, spacing_x_mm, spacing_y_mm, spacing_z_mm, image_width, image_height, slice_first, slice_last, slices_dir,
                               modality, body_part, convolution_kernel, series_instance_uid)
             SELECT $1, coalesce(max(series_index), 0) + 1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12 FROM series WHERE study_id = $1
           RETURNING id`,
          [study.id, ...seriesValues, plan.seriesUid],
        );
      }
      const lesionIds: number[] = [];
      for (const l of c.lesions) {
        const a = l.annotation;
        const name = `${String(l.sliceIndex).padStart(3, '0')}.png`;
        const mm = (px: number | null) => (px !== null && plan.spacing.x ? px * plan.spacing.x : null);
        const [row] = await runner.query(
          `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, recist,
                               long_axis_px, short_axis_px, long_axis_mm, short_axis_mm, coarse_type, possibly_noisy, source_file_name,
                               image_path, image_encoding, sop_instance_uid)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::real[], $11, $12, $13, $14, $15, $16, $17, $18, 'png16', $19)
           ON CONFLICT (series_id, key_slice_index, lesion_in_image) DO UPDATE SET
             box_x1 = EXCLUDED.box_x1, box_y1 = EXCLUDED.box_y1, box_x2 = EXCLUDED.box_x2, box_y2 = EXCLUDED.box_y2, recist = EXCLUDED.recist,
             long_axis_px = EXCLUDED.long_axis_px, short_axis_px = EXCLUDED.short_axis_px, long_axis_mm = EXCLUDED.long_axis_mm,
             short_axis_mm = EXCLUDED.short_axis_mm, coarse_type = EXCLUDED.coarse_type, possibly_noisy = EXCLUDED.possibly_noisy,
             image_path = EXCLUDED.image_path, sop_instance_uid = EXCLUDED.sop_instance_uid,
             updated_at = CASE WHEN (lesion.box_x1, lesion.box_y1, lesion.box_x2, lesion.box_y2, lesion.coarse_type) IS DISTINCT FROM
                                    (EXCLUDED.box_x1, EXCLUDED.box_y1, EXCLUDED.box_x2, EXCLUDED.box_y2, EXCLUDED.coarse_type) THEN now() ELSE lesion.updated_at END
           RETURNING id`,
          [
            series.id,
            study.id,
            patientId,
            l.sliceIndex,
            l.lesionInImage,
            a.box.x1,
            a.box.y1,
            a.box.x2,
            a.box.y2,
            a.recist ? `{${a.recist.join(',')}}` : null,
            a.longAxisPx,
            a.shortAxisPx,
            mm(a.longAxisPx),
            mm(a.shortAxisPx),
            a.coarseType,
            a.approximate,
            name,
            path.join(c.slicesDir!, name),
            a.sopUid,
          ],
        );
        lesionIds.push(row.id);
      }
      await advanceJob(runner, c.jobId, { cursor: c.cursor, imported: lesionIds.length, skipped: c.errors.length, errors: c.errors }, c.maxStoredErrors);
      crashPoint('ingest-before-commit');
      await runner.commitTransaction();
      return { lesionIds, patientIndex };
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    }
  }

  /**
   * The patient's index in the dataset: found by key hash, or the next one (after both the pseudonyms'
   * and the patient rows' indexes, so a dataset shared with another format never collides). The
   * transaction-scoped lock serialises concurrent imports of one dataset.
   */
  private async pseudonym(runner: QueryRunner, dataset: string, keyHash: string): Promise<number> {
    await runner.query(`SELECT pg_advisory_xact_lock(hashtext('patient_pseudonym'), hashtext($1))`, [dataset]);
    const [found] = await runner.query(`SELECT patient_index FROM patient_pseudonym WHERE dataset = $1 AND key_hash = $2`, [dataset, keyHash]);
    if (found) return found.patient_index;
    const [created] = await runner.query(
      `INSERT INTO patient_pseudonym (dataset, key_hash, patient_index)
         SELECT $1, $2, greatest((SELECT coalesce(max(patient_index), 0) FROM patient_pseudonym WHERE dataset = $1),
                                 (SELECT coalesce(max(patient_index), 0) FROM patient WHERE dataset = $1)) + 1
       RETURNING patient_index`,
      [dataset, keyHash],
    );
    return created.patient_index;
  }
}
