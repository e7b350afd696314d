import { BadRequestException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { DatasetScope, effectiveDatasets, scopeAllows } from '../common/dataset-scope';
import { Box, pixelsToMm } from '../imaging/hu-image';
import { LesionCriteria } from '../lesions/lesion-criteria';
import { LesionsService } from '../lesions/lesions.service';
import { EmbeddedBox, FollowUp, SimilarLesions, SimilarQuery, SimilarRanking, SimilarResult } from '../lesions/similar-lesions.port';
import { EncoderService } from '../ml/encoder.service';
import { cosine } from '../vector-index/exact-search';
import { LesionMeta, SearchFilter } from '../vector-index/lesion-meta';
import { VectorIndexService } from '../vector-index/vector-index.service';
import { TagPredictionService } from '../tags/prediction/tag-prediction.service';
import { TagQueryInterpretation, TagQueryService } from '../tags/query/tag-query.service';
import { UploadDecoder } from '../uploads/upload-decoder.service';
import type { DicomWebReferenceDto } from '../dicomweb/dicomweb.dto';
import { ReferencedSliceService, ReferenceFindings } from '../dicomweb/referenced-slice.service';
import { BoxPlace, followUpScore } from '../vector-index/follow-up-score';
import { explainMatch, QueryFacts, rerankScore } from '../vector-index/match-explanation';
import { FeedbackTokens } from './feedback-tokens';

/** A similar query as POST /search/similar takes it: also by a slice on a configured PACS (DICOMweb reference). */
export interface SimilarSearchQuery extends SimilarQuery {
  dicomweb?: DicomWebReferenceDto;
}

export interface SimilarSearchResult extends SimilarResult {
  /** With a tag filter: what the tag query was understood as. */
  tags?: TagQueryInterpretation;
  /** For an uploaded slice: tags predicted from its labelled neighbours. */
  predictedTags?: { term: string; confidence: number }[];
  /** For a query by DICOMweb reference: the reference and the same patient's archived lesions. */
  dicomweb?: ReferenceFindings;
}

// Re-ranking looks further down the list than k, so a lesion moved up from below k can surface.
const RERANK_POOL = 4;

@Injectable()
export class SearchService implements SimilarLesions {
  constructor(
    private readonly lesions: LesionsService,
    private readonly encoder: EncoderService,
    private readonly index: VectorIndexService,
    private readonly tagQueries: TagQueryService,
    private readonly tagPrediction: TagPredictionService,
    private readonly uploads: UploadDecoder,
    private readonly feedbackTokens: FeedbackTokens,
    private readonly referenced: ReferencedSliceService,
  ) {}

  /** Similar lesions of the scope's datasets (or of the `dataset` filter inside them); the query lesion must be in scope too. */
  async similar(dto: SimilarSearchQuery, scope: DatasetScope, upload?: Buffer): Promise<SimilarSearchResult> {
    if (!this.index.isReady()) throw new ServiceUnavailableException('The similarity index is not ready yet');
    const given = [dto.lesionId !== undefined, Boolean(upload), dto.dicomweb !== undefined].filter(Boolean).length;
    if (given !== 1)
      throw new BadRequestException(
        'Give either lesionId or an uploaded slice (multipart field "file") with its box, or dicomweb (a slice on a configured PACS) with its box: exactly one of them',
      );
    // A referenced slice is fetched (WADO-RS) and then read exactly as an upload: same pool, same checks.
    const reference = dto.dicomweb ? await this.referenced.fetch(dto.dicomweb) : null;
    if (reference) upload = reference.bytes;
    const filter: SearchFilter = { ...dto.criteria };
    let tagQuery: TagQueryInterpretation | undefined;
    if (dto.tags !== undefined) {
      const matching = await this.tagQueries.matchingLesionIds(dto.tags);
      filter.lesionIds = matching.lesionIds;
      tagQuery = matching.interpretation;
    }
    let query: Float32Array | { lesionId: number };
    let facts: QueryFacts;
    let described: SimilarResult['query'];
    let predictedTags: { term: string; confidence: number }[] | undefined;
    if (dto.lesionId !== undefined) {
      const meta = this.queryLesion(dto.lesionId, scope);
      // The stored vector stays in the index's worker: the query names the lesion.
      query = { lesionId: dto.lesionId };
      facts = { coarseType: meta.coarseType, longAxisMm: meta.longAxisMm, location: meta.location };
      filter.excludeLesionId = meta.lesionId;
      if (dto.excludeSamePatient) filter.excludePatientId = meta.patientId;
      if (dto.excludeSameStudy) filter.excludeStudyId = meta.studyId;
      described = { lesionId: dto.lesionId, upload: null };
    } else {
      const embedded = await this.embedUpload(upload!, dto);
      query = embedded.vector;
      facts = { coarseType: null, longAxisMm: embedded.longAxisMm, location: null };
      described = { lesionId: null, upload: { width: embedded.width, height: embedded.height, box: embedded.box } };
      predictedTags = await this.tagPrediction.predictForEmbedding(embedded.vector, this.encoder.loaded.modelId);
    }
    const result = await this.rank(query, facts, filter, dto, described, scope);
    const dicomweb = reference && dto.dicomweb ? await this.referenced.findings(dto.dicomweb, reference.header, scope) : undefined;
    return { ...result, ...(tagQuery ? { tags: tagQuery } : {}), ...(predictedTags ? { predictedTags } : {}), ...(dicomweb ? { dicomweb } : {}) };
  }

  /**
   * Similar lesions for a box on a slice that is already decoded and embedded (detection and point-to-box
   * use it): the same ranking as an uploaded slice.
   */
  async similarForEmbedding(
    { vector, image, box }: EmbeddedBox,
    ranking: SimilarRanking,
    criteria: LesionCriteria,
    scope: DatasetScope,
  ): Promise<SimilarResult> {
    if (!this.index.isReady()) throw new ServiceUnavailableException('The similarity index is not ready yet');
    const longAxisMm = pixelsToMm(Math.hypot(box.x2 - box.x1, box.y2 - box.y1), image.spacing);
    return this.rank(
      vector,
      { coarseType: null, longAxisMm, location: null },
      { ...criteria },
      ranking,
      { lesionId: null, upload: { width: image.width, height: image.height, box } },
      scope,
    );
  }

  private async rank(
    searchFor: Float32Array | { lesionId: number },
    facts: QueryFacts,
    filter: SearchFilter,
    dto: SimilarRanking,
    query: SimilarResult['query'],
    scope: DatasetScope,
  ): Promise<SimilarResult> {
    const reranking = dto.locationWeight > 0 || dto.sizeWeight > 0;
    const candidates = await this.index.search(searchFor, reranking ? Math.min(dto.k * RERANK_POOL, 800) : dto.k, filter);
    const scored = candidates
      .filter((c) => dto.minSimilarity === undefined || c.similarity >= dto.minSimilarity)
      .map((c) => {
        const why = explainMatch(facts, c.meta);
        return {
          lesionId: c.meta.lesionId,
          similarity: c.similarity,
          why,
          score: rerankScore(c.similarity, why, { location: dto.locationWeight, size: dto.sizeWeight }),
        };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, dto.k);
    const views = new Map(
      (
        await this.lesions.getLesionViews(
          scored.map((s) => s.lesionId),
          scope,
        )
      ).map((v) => [v.id, v]),
    );
    // status(), not loaded: a query still in flight while the service stops gets a 503, not a 500.
    const { name, modelId } = this.encoder.status();
    if (!modelId) throw new ServiceUnavailableException('The encoder is not loaded (the service may be stopping)');
    return {
      query,
      model: { name, modelId },
      k: dto.k,
      hits: scored.flatMap((s) =>
        views.has(s.lesionId)
          ? [
              {
                lesion: views.get(s.lesionId)!,
                similarity: s.similarity,
                score: s.score,
                why: s.why,
                ...(query.lesionId !== null ? { feedbackToken: this.feedbackTokens.sign(query.lesionId, s.lesionId) } : {}),
              },
            ]
          : [],
      ),
    };
  }

  /**
   * The same lesion in the patient's other studies, for comparison with priors: every lesion of the
   * other studies scored by appearance (embedding cosine), size agreement and location, best first.
   */
  async followUps(lesionId: number, scope: DatasetScope, limit = 20): Promise<FollowUp[]> {
    if (!this.index.isReady()) throw new ServiceUnavailableException('The similarity index is not ready yet');
    // A patient lies in one dataset: once the lesion is in scope, so are its priors.
    const lesion = await this.lesions.findEntity(lesionId, scope);
    const meta = this.queryLesion(lesionId, scope);
    const vector = (await this.index.vectorOf(lesionId))!;
    const query = { coarseType: meta.coarseType, longAxisMm: meta.longAxisMm, location: meta.location, ...boxPlaceOf(lesion) };
    const others = await this.lesions.otherStudiesOfPatient(lesion);
    const otherVectors = await Promise.all(others.map((other) => this.index.vectorOf(other.id)));
    const scored = others.flatMap((other, i) => {
      const otherMeta = this.index.metaOf(other.id);
      const otherVector = otherVectors[i];
      if (!otherMeta || !otherVector) return [];
      const appearance = cosine(vector, otherVector);
      const { score, why } = followUpScore(query, { ...otherMeta, ...boxPlaceOf(other) }, appearance);
      return [{ id: other.id, score, appearance, why }];
    });
    scored.sort((a, b) => b.score - a.score);
    const top = scored.slice(0, limit);
    const views = new Map(
      (
        await this.lesions.getLesionViews(
          top.map((s) => s.id),
          scope,
        )
      ).map((v) => [v.id, v]),
    );
    return top.flatMap((s) => (views.has(s.id) ? [{ lesion: views.get(s.id)!, score: s.score, appearance: s.appearance, why: s.why }] : []));
  }

  /**
   * Every indexed lesion at least `minSimilarity` similar to a lesion (itself left out), most similar
   * first, up to `cap`: the "similar to X above s" part of a cohort. The graph search widens until
   * it reaches lesions below the threshold.
   */
  async similarAbove(
    lesionId: number,
    minSimilarity: number,
    excludeSamePatient: boolean,
    scope: DatasetScope,
    cap = 100_000,
  ): Promise<{ lesionId: number; similarity: number }[]> {
    if (!this.index.isReady()) throw new ServiceUnavailableException('The similarity index is not ready yet');
    const meta = this.queryLesion(lesionId, scope);
    const datasets = effectiveDatasets(scope);
    const filter: SearchFilter = {
      excludeLesionId: lesionId,
      ...(excludeSamePatient ? { excludePatientId: meta.patientId } : {}),
      ...(datasets ? { datasets } : {}),
    };
    for (let k = 256; ; k *= 4) {
      const hits = await this.index.search({ lesionId }, Math.min(k, cap), filter);
      const last = hits[hits.length - 1];
      if (hits.length < Math.min(k, cap) || !last || last.similarity < minSimilarity || k >= cap) {
        return hits.filter((h) => h.similarity >= minSimilarity).map((h) => ({ lesionId: h.meta.lesionId, similarity: h.similarity }));
      }
    }
  }

  /** The query lesion's metadata; one outside the scope is answered exactly like an unknown one. */
  private queryLesion(lesionId: number, scope: DatasetScope): LesionMeta {
    const meta = this.index.metaOf(lesionId);
    if (meta && scopeAllows(scope, meta.dataset)) return meta;
    throw new NotFoundException(`Lesion ${lesionId} is not in the similarity index (unknown, or not embedded yet: run npm run embed)`);
  }

  private async embedUpload(
    bytes: Buffer,
    dto: SimilarQuery,
  ): Promise<{ vector: Float32Array; width: number; height: number; box: Box; longAxisMm: number | null }> {
    if (!dto.box) throw new BadRequestException('An uploaded slice needs its lesion box: box="x1,y1,x2,y2"');
    const [x1, y1, x2, y2] = dto.box.split(',').map(Number);
    const box = { x1, y1, x2, y2 };
    if (!(x2 > x1 && y2 > y1)) throw new BadRequestException('box must have x2 > x1 and y2 > y1 (a zero-size box selects nothing)');
    // Decoding and patch preparation run on the decode workers: a large image does not hold up other requests.
    const input = await this.uploads.embeddingInput(bytes, { ...dto.read, spacingMm: dto.spacingMm }, box);
    const vector = await this.encoder.embedPrepared(input.prepared);
    return { vector, width: input.width, height: input.height, box, longAxisMm: pixelsToMm(Math.hypot(x2 - x1, y2 - y1), input.spacing) };
  }
}

/** A lesion entity's box and image size, for follow-up location scoring. */
function boxPlaceOf(lesion: {
  boxX1: number;
  boxY1: number;
  boxX2: number;
  boxY2: number;
  series?: { imageWidth: number | null; imageHeight: number | null };
}): BoxPlace {
  return {
    box: { x1: lesion.boxX1, y1: lesion.boxY1, x2: lesion.boxX2, y2: lesion.boxY2 },
    imageWidth: lesion.series?.imageWidth ?? null,
    imageHeight: lesion.series?.imageHeight ?? null,
  };
}
