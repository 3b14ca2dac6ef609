/**
 * Turns any failed call into a `BedrockCallError` that says what to do. The retry decision
 * comes from `classifyError` (by exception type) and is never changed here; the message text
 * only shapes the advice — which field was misspelt, whether it is IAM or model access, which
 * profile id to use instead.
 *
 * Bedrock's error list: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors
 * Troubleshooting: https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html
 */
import { BedrockCallError, type BedrockFailureReason } from "./bedrock-call-error.js";
import { type ClassifiedError, classifyError, NETWORK_ERRORS } from "./classify-error.js";
import { QuarryError } from "./quarry-error.js";

/** What describe-error needs to know about the model (a resolved model satisfies it). */
export interface DescribedModel {
  /** The id the call was made with. */
  readonly modelId: string;
  readonly baseModelId?: string;
  readonly family?: string;
  /** The profile id to use when the model is profile-only and was called on demand. */
  readonly suggestedProfileId?: string;
  /** System-defined profile ids by geography (`{ us: "us.…", eu: "eu.…" }`). */
  readonly profileIds?: Readonly<Partial<Record<string, string>>>;
}

export interface DescribeErrorContext {
  readonly model?: string | DescribedModel;
  /** The Region the call went to. */
  readonly region?: string;
  readonly recordId?: string;
  /** The API operation, e.g. `InvokeModel`. */
  readonly operation?: string;
}

// Message patterns: they choose advice, never whether to retry.
const ON_DEMAND_UNSUPPORTED =
  /on-demand throughput isn.t supported|with the ID or ARN of an inference profile/i;
const INVALID_MODEL_ID =
  /model identifier is invalid|model (id|identifier)?.*(not found|does not exist|isn.t supported)|could not resolve/i;
const NO_MODEL_ACCESS = /don.t have access to the model|access to the (specified )?model/i;
const NOT_AUTHORIZED = /not authorized to perform:?\s*([\w:]+)/i;
const EXTRANEOUS_KEY = /extraneous key \[([^\]]+)\]/g;
const REQUIRED_KEY = /required key \[([^\]]+)\] not found/g;
const CREDENTIAL_ERRORS = new Set([
  "ExpiredTokenException",
  "ExpiredToken",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "CredentialsProviderError",
  "InvalidClientTokenId",
  "TokenRefreshRequired",
]);

const MODELS_PAGE = "https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html";
const QUOTAS_PAGE = "https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html";

/** The geographies whose profiles serve a Region, most specific first. */
function geographiesFor(region: string | undefined): string[] {
  if (!region) return ["us", "eu", "apac", "global"];
  if (region.startsWith("us-gov-")) return ["us-gov"];
  if (region.startsWith("us-")) return ["us", "global"];
  if (region.startsWith("ca-")) return ["ca", "us", "global"];
  if (region.startsWith("eu-")) return ["eu", "global"];
  if (region === "ap-northeast-1" || region === "ap-northeast-3") return ["jp", "apac", "global"];
  if (region === "ap-southeast-2" || region === "ap-southeast-4") return ["au", "apac", "global"];
  if (region.startsWith("ap-")) return ["apac", "global"];
  return ["global", "us", "eu", "apac"];
}

function profileFor(
  model: DescribedModel | undefined,
  region: string | undefined,
): string | undefined {
  const ids = model?.profileIds ?? {};
  for (const geography of geographiesFor(region)) {
    const id = ids[geography];
    if (id) return id;
  }
  return model?.suggestedProfileId ?? Object.values(ids).find((id) => id !== undefined);
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : "";
}

function allMatches(pattern: RegExp, text: string): string[] {
  return [...text.matchAll(pattern)]
    .map((match) => match[1]!)
    .filter((value, index, all) => all.indexOf(value) === index);
}

interface Advice {
  readonly reason: BedrockFailureReason;
  /** What happened, one clause. */
  readonly summary: string;
  /** What to do. */
  readonly hint: string;
  readonly extraneousFields?: readonly string[];
  readonly missingFields?: readonly string[];
}

function advise(
  classified: ClassifiedError,
  text: string,
  model: DescribedModel | undefined,
  context: DescribeErrorContext,
): Advice {
  const modelId = model?.modelId ?? "the model";
  const region = context.region ?? "the client's Region";
  const name = classified.name;
  if (name === "ValidationException" || name === "ResourceNotFoundException") {
    if (ON_DEMAND_UNSUPPORTED.test(text)) {
      const profile = profileFor(model, context.region);
      return {
        reason: "profile-required",
        summary: `${modelId} cannot be invoked on demand; Bedrock serves it only through an inference profile`,
        hint: profile
          ? `Call it as "${profile}" (a cross-region inference profile) instead of "${modelId}".`
          : `Call it through an inference profile id such as "us.${model?.baseModelId ?? modelId}" (or "eu.", "apac.", "global." where offered).`,
      };
    }
    const extraneousFields = allMatches(EXTRANEOUS_KEY, text);
    const missingFields = allMatches(REQUIRED_KEY, text);
    if (extraneousFields.length || missingFields.length) {
      const parts = [
        extraneousFields.length ? `not permitted: ${extraneousFields.join(", ")}` : "",
        missingFields.length ? `missing: ${missingFields.join(", ")}` : "",
      ].filter(Boolean);
      return {
        reason: "invalid-body",
        summary: `Bedrock rejected the request body for ${modelId} (${parts.join("; ")})`,
        hint: `${extraneousFields.length ? `Remove or correct the field${extraneousFields.length > 1 ? "s" : ""} ${extraneousFields.map((field) => `"${field}"`).join(", ")} (a misspelling, or a field of another model family${model?.family ? ` than ${model.family}` : ""})` : ""}${extraneousFields.length && missingFields.length ? "; " : ""}${missingFields.length ? `add ${missingFields.map((field) => `"${field}"`).join(", ")}` : ""}. Retrying the same body will fail again.`,
        extraneousFields,
        missingFields,
      };
    }
    if (name === "ResourceNotFoundException" || INVALID_MODEL_ID.test(text))
      return {
        reason: "model-not-found",
        summary: `Bedrock does not know ${modelId} in ${region}`,
        hint: `Check the model id's spelling and that ${region} offers this model (${MODELS_PAGE}); if it does not, send the request to a Region that does or use a cross-region profile id${profileFor(model, context.region) ? ` such as "${profileFor(model, context.region)}"` : ""}.`,
      };
    return {
      reason: "invalid-request",
      summary: `Bedrock rejected the request to ${modelId}`,
      hint: "Fix the request (its values, sizes or limits as the message says); retrying it unchanged will fail again.",
    };
  }
  if (name === "AccessDeniedException") {
    const action = NOT_AUTHORIZED.exec(text)?.[1];
    if (action)
      return {
        reason: "access-denied",
        summary: `The caller's IAM identity may not perform ${action} on ${modelId}`,
        hint: `Allow ${action} on this model (and on the inference profile, for profile ids) in the IAM policy of the role or user making the call.`,
      };
    return {
      reason: "access-denied",
      summary: `Access to ${modelId} is denied in ${region}`,
      hint: NO_MODEL_ACCESS.test(text)
        ? `Request access to this model in the Amazon Bedrock console (Model access) for ${region}, then try again.`
        : `Check that model access is granted in the Bedrock console for ${region} and that the IAM policy allows bedrock:InvokeModel on this model.`,
    };
  }
  if (CREDENTIAL_ERRORS.has(name))
    return {
      reason: "credentials",
      summary: "The AWS credentials were refused (expired, unknown or badly signed)",
      hint: "Refresh the credentials (e.g. `aws sso login`, or a new session token) and check the profile and Region; Quarry reads them from the AWS SDK's default chain.",
    };
  switch (classified.kind) {
    case "throttled":
      return {
        reason: "throttled",
        summary: `Bedrock throttled calls to ${modelId} and the retries ran out`,
        hint: `Lower concurrency or the request rate, set maxTokens close to what you need (Bedrock reserves it against the tokens-per-minute quota), use a cross-region profile or more Regions, or ask for a higher "tokens per minute" quota in Service Quotas (${QUOTAS_PAGE}).`,
      };
    case "quota-exhausted":
      return {
        reason: "quota-exhausted",
        summary: `A quota for ${modelId} that does not refill within minutes is used up (tokens per day or a service quota)`,
        hint: `Wait for the daily quota to reset, move the rest of the job to another Region or profile, or request an increase in Service Quotas (${QUOTAS_PAGE}).`,
      };
    case "model-not-ready":
      return {
        reason: "model-not-ready",
        summary: `${modelId} is not ready yet (it is being loaded)`,
        hint: "Try again in a few minutes; imported and newly provisioned models take a while to warm up.",
      };
    case "timeout":
      return {
        reason: "timeout",
        summary: `The call to ${modelId} timed out`,
        hint: "Shorten the input or lower maxTokens, stream the answer, or raise the client's request timeout.",
      };
    case "transient":
      if (name === "StreamTruncatedError")
        return {
          reason: "stream-truncated",
          summary: `The response stream from ${modelId} ended before its final event`,
          hint: "The whole request is safe to send again; if it keeps happening, check proxies or load balancers that cut long connections.",
        };
      if (NETWORK_ERRORS.has(name))
        return {
          reason: "network",
          summary: `Bedrock's endpoint could not be reached (${name})`,
          hint: "Check the network path to bedrock-runtime in this Region (proxy, VPC endpoint, DNS, firewall) and the endpoint URL.",
        };
      return {
        reason: "service-fault",
        summary: `Bedrock failed on its side while serving ${modelId}`,
        hint: "Try again later; a cross-region profile spreads calls over Regions and rides out regional faults.",
      };
    case "final":
      if (name === "AbortError")
        return {
          reason: "cancelled",
          summary: "The call was cancelled",
          hint: "Nothing to fix: the caller's AbortSignal stopped it.",
        };
      if (name === "ModelErrorException")
        return {
          reason: "model-error",
          summary: `${modelId} failed while processing this input`,
          hint: "Check the input for content the model cannot handle (size, format, attachments); retrying the same input usually fails the same way.",
        };
      return {
        reason: "unknown",
        summary: `The call to ${modelId} failed`,
        hint: "Read the underlying error (cause) for details; retrying will not help unless the cause is fixed.",
      };
  }
}

/**
 * Describes a failure: an AWS SDK exception, a network error, a `StreamTruncatedError`, or a
 * `RetryError` (described by its last attempt, with the attempt count). Quarry's own errors that
 * are not call failures (`input.*`, ...) are returned unchanged; a `BedrockCallError` too.
 */
export function describeError(error: unknown, context: DescribeErrorContext = {}): QuarryError {
  if (error instanceof BedrockCallError) return error;
  const retry = error as {
    name?: unknown;
    lastError?: unknown;
    failures?: readonly unknown[];
  } | null;
  const isRetryError = retry?.name === "RetryError" && retry.lastError !== undefined;
  const failure = isRetryError ? retry.lastError : error;
  if (!isRetryError && QuarryError.is(failure) && failure.name !== "StreamTruncatedError")
    return failure;

  const classified = classifyError(failure);
  const model = typeof context.model === "string" ? { modelId: context.model } : context.model;
  const text = messageOf(failure);
  const advice = advise(classified, text, model, context);
  const attempts = isRetryError ? (retry.failures?.length ?? 0) : 0;
  const where = [
    model ? `model ${model.modelId}` : "",
    context.region ? `Region ${context.region}` : "",
    context.recordId !== undefined ? `record ${context.recordId}` : "",
  ].filter(Boolean);
  const message = [
    `${advice.summary}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}.`,
    `[${classified.name}${classified.status !== undefined ? `, HTTP ${classified.status}` : ""}${where.length ? `; ${where.join(", ")}` : ""}]`,
    text ? `Bedrock said: "${text}".` : "",
    advice.hint,
  ]
    .filter(Boolean)
    .join(" ");
  return new BedrockCallError(message, {
    reason: advice.reason,
    kind: classified.kind,
    exceptionName: classified.name,
    status: classified.status,
    isRetryable: classified.retryable,
    model: model?.modelId,
    recordId: context.recordId,
    hint: advice.hint,
    cause: error,
    extraneousFields: advice.extraneousFields,
    missingFields: advice.missingFields,
  });
}
