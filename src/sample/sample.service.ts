import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { GrowthRepository } from '../growth/growth.repository';
import { CSV_IMPORTER, CsvImporter, IngestJobView } from '../ingest-jobs/ingest.types';
import { LesionTagsService } from '../tags/lesion-tags.service';
import { planSampleDataset } from './phantom';
import { phantomReport } from './phantom-report';
import { SampleDatasetRepository } from './sample-dataset.repository';

export const SAMPLE_DATASET = 'synthetic-sample';

/** The built-in synthetic archive: generated once (deterministic, seeded), ingested like any DeepLesion download. */
@Injectable()
export class SampleService {
  private readonly logger = new Logger('Sample');

  constructor(
    private readonly files: SampleDatasetRepository,
    private readonly moduleRef: ModuleRef,
    private readonly tags: LesionTagsService,
    private readonly studyDates: GrowthRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async ensureGenerated(): Promise<{ csvPath: string; imagesDir: string; created: boolean }> {
    const { dir, seed, patients } = this.config.sample;
    let nextReport = 0.25;
    const result = await this.files.ensure(dir, {
      seed,
      patients,
      // Generation takes seconds on first start: say how far it is.
      onProgress: (done, total) => {
        if (total && done / total >= nextReport) {
          this.logger.log(`Generating the synthetic sample: ${done}/${total} slices`);
          nextReport += 0.25;
        }
      },
    });
    if (result.created) this.logger.log(`Generated the synthetic sample: ${result.lesions} lesions on ${result.slices} slices`);
    return result;
  }

  /** Generates the sample if absent and imports it unless this exact sample was imported before. */
  async ensureIngested(): Promise<IngestJobView> {
    const { csvPath, imagesDir } = await this.ensureGenerated();
    // The CSV importer (src/ingest) sits above the sample: reached through its port, found in the app.
    const importer = this.moduleRef.get<CsvImporter>(CSV_IMPORTER, { strict: false });
    const { job, alreadyDone } = await importer.runUnlessDone({ format: 'deeplesion', csvPath, imagesDir, dataset: SAMPLE_DATASET, pathsFrom: 'operator' });
    this.logger.log(
      alreadyDone
        ? `Sample archive already imported (${job.importedRows} lesions)`
        : `Sample archive ready: ${job.importedRows} lesions imported, ${job.skippedRows} skipped`,
    );
    if (job.status === 'completed') {
      // Planning the sample takes seconds: done once, and only when reports or dates are missing.
      const { seed, patients } = this.config.sample;
      let cases: ReturnType<typeof planSampleDataset> | null = null;
      const plan = () => (cases ??= planSampleDataset({ seed, patients }));
      await this.mineSampleReports(plan);
      await this.recordStudyDates(plan);
    }
    return job;
  }

  /** The sample's lesions get a report sentence each (written from the phantom), mined into tags. */
  private async mineSampleReports(plan: () => ReturnType<typeof planSampleDataset>): Promise<void> {
    const mined = await this.tags.mineMissingReports(SAMPLE_DATASET, (row) => {
      const cases = plan();
      return cases[row] ? phantomReport(cases[row], row) : null;
    });
    if (mined) this.logger.log(`Mined the sample's report sentences into tags for ${mined} lesions`);
  }

  /** The sample's study dates (not a DL_info.csv column) go to the studies, so growth has intervals in days. */
  private async recordStudyDates(plan: () => ReturnType<typeof planSampleDataset>): Promise<void> {
    if (!(await this.studyDates.hasUndatedStudies(SAMPLE_DATASET))) return;
    const dates = new Map(
      plan().map((c) => [`${c.patientIndex}/${c.studyIndex}`, { patientIndex: c.patientIndex, studyIndex: c.studyIndex, date: c.studyDate }]),
    );
    const written = await this.studyDates.fillStudyDates(SAMPLE_DATASET, [...dates.values()]);
    if (written) this.logger.log(`Recorded the sample's study dates for ${written} studies`);
  }
}
