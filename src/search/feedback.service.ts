import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { DatasetScope } from '../common/dataset-scope';
import { LesionScopeRepository } from '../lesions/lesion-scope.repository';
import { EncoderService } from '../ml/encoder.service';
import { FeedbackRepository, StoredFeedback } from './feedback.repository';
import { FeedbackTokens } from './feedback-tokens';

export interface RelevanceFeedback {
  queryLesionId: number;
  hitLesionId: number;
  relevant: boolean;
  /** The hit's feedbackToken from the similar search that returned it. */
  token: string;
}

/** Curators' relevant / not relevant marks on similar-lesion hits, accepted only for hits a search returned. */
@Injectable()
export class FeedbackService {
  constructor(
    private readonly repository: FeedbackRepository,
    private readonly tokens: FeedbackTokens,
    private readonly encoder: EncoderService,
    private readonly lesionScope: LesionScopeRepository,
  ) {}

  async record(feedback: RelevanceFeedback, key: { id: string; name: string }, scope: DatasetScope): Promise<StoredFeedback> {
    const { queryLesionId, hitLesionId } = feedback;
    await this.lesionScope.requireLesions(scope, [queryLesionId, hitLesionId]);
    const existing = await this.repository.existingLesions([queryLesionId, hitLesionId]);
    for (const id of [queryLesionId, hitLesionId]) if (!existing.has(id)) throw new NotFoundException(`Lesion ${id} does not exist`);
    const check = this.tokens.check(feedback.token, queryLesionId, hitLesionId);
    if (check === 'expired') throw new BadRequestException('The search that returned this hit is too old: search again, then mark the hit');
    if (check === 'invalid')
      throw new BadRequestException(`Lesion ${hitLesionId} was not returned by a similar search for lesion ${queryLesionId} (send the hit's feedbackToken)`);
    return this.repository.upsert({ ...feedback, keyId: key.id, keyName: key.name, modelId: this.encoder.status().modelId ?? null });
  }
}
