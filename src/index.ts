// `quarry`: the library. Explicit named exports only.

// The client: one entry object over the AWS SDK.
export type {
  ApplyGuardrailRequest,
  ApplyGuardrailResult,
} from "./client/apply-guardrail.js";
export type {
  ConverseCallRequest,
  ConverseOutcome,
  OutputSchema,
} from "./client/converse.js";
export type { CountTokensResult } from "./client/count-tokens.js";
export { createQuarry, Quarry } from "./client/create-quarry.js";
export type { HttpProtocol } from "./client/create-request-handler.js";
export type { EmbedRequest, EmbedResult } from "./client/embed.js";
export type {
  GenerateImageRequest,
  GenerateImageResult,
} from "./client/generate-image.js";
export type { BlockedOutcome, GuardrailOptions } from "./client/guardrail-options.js";
export type { ProxySettings } from "./client/proxy-agent.js";
export type { HttpOptions, QuarryOptions, TimeoutOptions } from "./client/quarry-options.js";
export { QuarryStream } from "./client/quarry-stream.js";
export { responseHeadersOf } from "./client/response-headers.js";
export type {
  RunToolsRequest,
  ToolLoopOutcome,
  ToolRun,
  ToolStep,
} from "./client/run-tools.js";
export type { SchemaInput } from "./client/schema-validator.js";
export type {
  BlockedText,
  CallOptions,
  GeneratedText,
  TextCallRequest,
  TextOutcome,
} from "./client/text-call.js";
export type { LocalTool, ToolExecutionContext, ToolSet } from "./client/tool-set.js";
export type { Clock } from "./clock/clock.js";
export { ManualClock } from "./clock/manual-clock.js";
export { systemClock } from "./clock/system-clock.js";
export type {
  BedrockCallErrorOptions,
  BedrockFailureReason,
} from "./errors/bedrock-call-error.js";
export { BedrockCallError } from "./errors/bedrock-call-error.js";
export type { ClassifiedError, ErrorKind } from "./errors/classify-error.js";
export { classifyError } from "./errors/classify-error.js";
export type { DescribedModel, DescribeErrorContext } from "./errors/describe-error.js";
export { describeError } from "./errors/describe-error.js";
export type { QuarryErrorOptions } from "./errors/quarry-error.js";
export { QuarryError } from "./errors/quarry-error.js";
export type { AttemptFailure, RetryStopReason } from "./errors/retry-error.js";
export { RetryError } from "./errors/retry-error.js";
export { StreamTruncatedError } from "./errors/stream-truncated-error.js";
export type { JobEstimate } from "./jobs/estimate-job.js";
export type { JobRunOptions, RowSource, RunSummary } from "./jobs/job-run.js";
export { runJobSpec } from "./jobs/job-run.js";
export type { JobSpec } from "./jobs/job-spec.js";
export { loadJobSpec, resolveJobSpec } from "./jobs/job-spec.js";
// Batch jobs from code.
export type { JobResult, RunJobOptions } from "./jobs/run-job.js";
export { runJob } from "./jobs/run-job.js";
export type { OutputSchema as JobOutputSchema } from "./jobs/structured-output.js";
export { StructuredOutput } from "./jobs/structured-output.js";
// Models: the per-family codecs, model ids, prices.
export type { Geography, ModelCapabilities, ModelEntry } from "./models/model-catalog.js";
export { MODEL_CATALOG } from "./models/model-catalog.js";
export type {
  BuildRequestOptions,
  CodecModel,
  ContentPart,
  EmbeddingCodec,
  EmbeddingOptions,
  EmbeddingResult,
  ImageCodec,
  ImageRequest,
  ImageResult,
  Message,
  ModelFamily,
  StopReason,
  StreamParser,
  StreamPart,
  TextCodec,
  TextRequest,
  TextResult,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
} from "./models/model-codec.js";
export type {
  CostEstimate,
  CostEstimateOptions,
  ModelPrice,
  PriceSource,
  PriceVerification,
  TokenPrices,
} from "./models/price-table.js";
export { estimateCost, PRICE_TABLE, PRICE_TABLE_DATE } from "./models/price-table.js";
export type { ModelHint, ModelRoute, ResolvedModel } from "./models/resolve-model.js";
export {
  embeddingCodecOf,
  imageCodecOf,
  resolveModel,
  textCodecOf,
} from "./models/resolve-model.js";
export type {
  AdaptiveOptions,
  KnownLimits,
  LimiterSnapshot,
} from "./resilience/adaptive-limiter.js";
export { AdaptiveLimiter } from "./resilience/adaptive-limiter.js";
export type { RateLimiter } from "./resilience/rate-limiter.js";
// The scheduler: pacing, retries and quota discovery.
export type {
  AttemptContext,
  MaxAttempts,
  RetryOptions,
  ScheduledCall,
  SchedulerOptions,
  SchedulerStats,
} from "./resilience/scheduler.js";
export { Scheduler } from "./resilience/scheduler.js";
export type {
  CompletedEvent,
  FailedEvent,
  IdleEvent,
  RetryingEvent,
  SchedulerEventName,
  SchedulerEvents,
  SchedulerListener,
  SentEvent,
  ThrottledEvent,
} from "./resilience/scheduler-events.js";
export { TokenBucket } from "./resilience/token-bucket.js";
