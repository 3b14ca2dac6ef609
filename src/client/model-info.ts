import type {
  CodecModel,
  EmbeddingCodec,
  ImageCodec,
  ModelFamily,
  TextCodec,
} from "../models/model-codec.js";

/**
 * What the client needs to know about a model, from `resolve-model.ts` (the only place that
 * reads a model id).
 */
export interface ModelInfo extends CodecModel {
  /** The id as the caller gave it; sent to Bedrock unchanged. */
  readonly modelId: string;
  readonly family: ModelFamily;
  /**
   * How the id reaches capacity, which decides the quota it counts against: on-demand base
   * model, cross-Region profile, application profile, provisioned throughput.
   */
  readonly route: string;
  /** Output tokens count this many times against the quota (5 for Claude 4-family). */
  readonly outputBurndown: number;
  /** Whether Bedrock's CountTokens serves this model. */
  readonly countTokens: boolean;
  /** Set when a profile-only model was called on demand: the profile id to use instead. */
  readonly suggestedProfileId?: string | undefined;
  /** The Region an ARN names; calls to it are paced on that Region's lane. */
  readonly region?: string | undefined;
  readonly textCodec?: TextCodec;
  readonly embeddingCodec?: EmbeddingCodec;
  readonly imageCodec?: ImageCodec;
}
