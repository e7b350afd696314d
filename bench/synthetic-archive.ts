/**
 * A synthetic archive for the tag-query and cohort-export benchmarks: `lesions` lesions, ten per
 * series, one series per study and patient; each with its coarse-type tag and nine more drawn from
 * the vocabulary (skewed towards its first terms), expanded into lesion_term. Written by SQL in bulk
 * with the lesion_term triggers off, then one rebuild.
 */
import { Client } from 'pg';
import { VocabularyService } from '../src/tags/vocabulary.service';

const PER_SERIES = 10;

export async function loadSyntheticArchive(sql: Client, vocabulary: VocabularyService, lesions: number): Promise<void> {
  const LESIONS = lesions;
  const patients = Math.ceil(LESIONS / PER_SERIES);
  process.stdout.write(`writing ${LESIONS} lesions… `);
  await sql.query(
    `INSERT INTO patient (dataset, patient_index, sex) SELECT 'bench', g, CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END FROM generate_series(1, $1) g`,
    [patients],
  );
  await sql.query(`INSERT INTO study (patient_id, study_index, age_years) SELECT id, 1, 18 + (id * 7919) % 72 FROM patient`);
  await sql.query(`INSERT INTO series (study_id, series_index, spacing_x_mm, spacing_y_mm, spacing_z_mm) SELECT id, 1, 0.8, 0.8, 2 FROM study`);
  await sql.query(
    `INSERT INTO lesion (series_id, study_id, patient_id, key_slice_index, lesion_in_image, box_x1, box_y1, box_x2, box_y2, long_axis_mm, coarse_type, split, source_file_name, image_path, image_encoding)
     SELECT s.id, s.study_id, st.patient_id, 10, k, 100, 100, 120, 120, 3 + random() * 60, 1 + floor(random() * 8), 1 + floor(random() * 3), 'bench.png', '/nonexistent/bench.png', 'png16'
     FROM series s JOIN study st ON st.id = s.study_id CROSS JOIN generate_series(0, $1 - 1) k`,
    [PER_SERIES],
  );
  // Bulk load with the lesion_term triggers off, then one rebuild (what a restore would do).
  await sql.query(`ALTER TABLE lesion_tag DISABLE TRIGGER USER`);
  await vocabulary.syncCoarseTypeTags();
  // Nine more tags per lesion, term i drawn with probability ~ skewed to the vocabulary's first terms.
  await sql.query(
    `INSERT INTO lesion_tag (lesion_id, term_id, source, confidence)
     SELECT l.id, t.ids[1 + floor(power(random(), 2.5) * array_length(t.ids, 1))::int], 'report_label', round((0.3 + random() * 0.7)::numeric, 2)
     FROM lesion l CROSS JOIN generate_series(1, 9) CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM vocabulary_term) t
     ON CONFLICT DO NOTHING`,
  );
  await sql.query(`ALTER TABLE lesion_tag ENABLE TRIGGER USER`);
  await sql.query(`SELECT lesion_term_rebuild()`);
  await sql.query(`VACUUM ANALYZE`);
}
