/**
 * Where detection gets predicted tags for a box: an optional port, provided by the tags feature.
 * Without a provider, detections answer `tags: []` and say that tag prediction is unavailable.
 */
export const TAG_PREDICTOR = Symbol('TAG_PREDICTOR');

export interface PredictedTag {
  term: string;
  confidence: number;
}

export interface TagPredictor {
  /** Tags for a query embedding made by the encoder `modelId`. */
  predictForEmbedding(vector: Float32Array, modelId: string): Promise<PredictedTag[]>;
}
