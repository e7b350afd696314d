import { BadRequestException, Injectable } from '@nestjs/common';
import { checkLesaNetLabels, LesaNetLabelsFormatError } from './vocabulary/lesanet-labels';
import { LesionTagsService } from './lesion-tags.service';
import { TagPredictionService } from './prediction/tag-prediction.service';
import { VocabularyService } from './vocabulary.service';
import { ImportMode } from './vocabulary/ontology';

/** Bulk vocabulary and label imports, and the prediction job: admin work that changes many tags. */
@Injectable()
export class TagsAdminService {
  constructor(
    private readonly vocabulary: VocabularyService,
    private readonly tags: LesionTagsService,
    private readonly prediction: TagPredictionService,
  ) {}

  async importOntology(file: Buffer, origin: string, mode: ImportMode) {
    const summary = await this.vocabulary.importOntologyFile(file, origin, mode);
    this.prediction.schedule();
    return summary;
  }

  async importLabels(file: Buffer, dataset?: string) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(file.toString('utf8'));
    } catch {
      throw new BadRequestException('The labels file is not valid JSON');
    }
    try {
      const result = await this.tags.importLesaNetLabels(checkLesaNetLabels(parsed), dataset);
      this.prediction.schedule();
      return result;
    } catch (error) {
      if (error instanceof LesaNetLabelsFormatError) throw new BadRequestException(`The labels file is not in LesaNet's layout: ${error.message}`);
      throw error;
    }
  }

  async startPrediction() {
    const queued = await this.prediction.start();
    return { ...(await this.prediction.status()), queued };
  }

  predictionStatus() {
    return this.prediction.status();
  }
}
