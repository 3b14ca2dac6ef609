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
export type { QuarryErrorOptions } from "./errors/quarry-error.js";
export { QuarryError } from "./errors/quarry-error.js";
