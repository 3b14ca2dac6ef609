import {
  AccessDeniedException,
  InternalServerException,
  InvokeModelCommand,
  ModelErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { resolveModel } from "../models/resolve-model.js";
import { runtimeClient } from "../test-support/sdk-clients.js";
import { BedrockCallError } from "./bedrock-call-error.js";
import { describeError } from "./describe-error.js";
import { QuarryError } from "./quarry-error.js";
import { RetryError } from "./retry-error.js";
import { StreamTruncatedError } from "./stream-truncated-error.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const meta = (httpStatusCode: number) => ({
  $metadata: { httpStatusCode },
  $fault: "client" as const,
});

function described(error: unknown, context = {}): BedrockCallError {
  const result = describeError(error, context);
  expect(result).toBeInstanceOf(BedrockCallError);
  return result as BedrockCallError;
}

describe("describeError", () => {
  it("names misspelt and missing body fields from Bedrock's validator message", () => {
    const error = new ValidationException({
      message:
        "Malformed input request: #: required key [max_tokens] not found#: extraneous key [max_token] is not permitted, please reformat your input and try again.",
      ...meta(400),
    });
    const result = described(error, {
      model: resolveModel(HAIKU),
      region: "us-east-1",
      recordId: "row-7",
    });
    expect(result).toMatchObject({
      code: "bedrock.invalid-body",
      exceptionName: "ValidationException",
      status: 400,
      isRetryable: false,
      model: HAIKU,
      recordId: "row-7",
      extraneousFields: ["max_token"],
      missingFields: ["max_tokens"],
    });
    expect(result.message).toContain("not permitted: max_token; missing: max_tokens");
    expect(result.hint).toMatch(/Remove or correct the field "max_token".*add "max_tokens"/);
    expect(result.message).toContain("record row-7");
    expect(result.cause).toBe(error);
  });

  it("suggests the profile id for the caller's Region when a profile-only model is called on demand", () => {
    const error = new ValidationException({
      message: `Invocation of model ID ${SONNET_45} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
      ...meta(400),
    });
    const model = resolveModel(SONNET_45);
    expect(described(error, { model, region: "eu-west-1" }).hint).toContain(`"eu.${SONNET_45}"`);
    expect(described(error, { model, region: "ap-northeast-1" }).hint).toContain(
      `"jp.${SONNET_45}"`,
    );
    expect(described(error, { model, region: "us-west-2" })).toMatchObject({
      code: "bedrock.profile-required",
      isRetryable: false,
      hint: expect.stringContaining(`"us.${SONNET_45}"`),
    });
  });

  it("says the model is wrong or not offered in the Region", () => {
    const invalid = new ValidationException({
      message: "The provided model identifier is invalid.",
      ...meta(400),
    });
    const result = described(invalid, { model: "anthropic.claude-9", region: "eu-south-2" });
    expect(result.code).toBe("bedrock.model-not-found");
    expect(result.message).toMatch(/does not know anthropic\.claude-9 in eu-south-2/);
    expect(result.hint).toMatch(/offers this model/);
    const missing = new ResourceNotFoundException({ message: "Model not found.", ...meta(404) });
    expect(described(missing, { model: HAIKU }).code).toBe("bedrock.model-not-found");
  });

  it("tells model access from IAM permissions", () => {
    const access = new AccessDeniedException({
      message: "You don't have access to the model with the specified model ID.",
      ...meta(403),
    });
    expect(described(access, { model: HAIKU, region: "us-east-1" }).hint).toMatch(
      /Request access to this model in the Amazon Bedrock console \(Model access\) for us-east-1/,
    );
    const iam = new AccessDeniedException({
      message:
        "User: arn:aws:iam::123456789012:user/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x",
      ...meta(403),
    });
    expect(described(iam, { model: HAIKU }).hint).toMatch(
      /Allow bedrock:InvokeModel .* IAM policy/,
    );
  });

  it("asks for fresh credentials when they expired", () => {
    const expired = Object.assign(
      new Error("The security token included in the request is expired"),
      {
        name: "ExpiredTokenException",
        $metadata: { httpStatusCode: 403 },
      },
    );
    expect(described(expired)).toMatchObject({ code: "bedrock.credentials", isRetryable: false });
    expect(described(expired).hint).toMatch(/aws sso login/);
  });

  it("describes throttling, daily quota and service quota, retryable by type", () => {
    const throttled = new ThrottlingException({
      message: "Too many tokens, please wait before trying again.",
      ...meta(429),
    });
    expect(described(throttled, { model: HAIKU })).toMatchObject({
      code: "bedrock.throttled",
      isRetryable: true,
      kind: "throttled",
    });
    expect(described(throttled).hint).toMatch(/Lower concurrency.*maxTokens.*Service Quotas/);
    const daily = new ThrottlingException({
      message: "Too many tokens per day, please wait before trying again.",
      ...meta(429),
    });
    expect(described(daily)).toMatchObject({
      code: "bedrock.quota-exhausted",
      kind: "quota-exhausted",
      isRetryable: true,
    });
    const quota = new ServiceQuotaExceededException({ message: "Quota exceeded.", ...meta(400) });
    expect(described(quota).hint).toMatch(/daily quota to reset/);
  });

  it("keeps the retry decision with the exception type, whatever the text says", () => {
    // A validation error whose text sounds like a throttle stays final.
    const odd = new ValidationException({
      message: "Too many tokens, please wait before trying again.",
      ...meta(400),
    });
    expect(described(odd).isRetryable).toBe(false);
    // A throttle whose text sounds like a bad field stays retryable.
    const throttled = new ThrottlingException({
      message: "extraneous key [x] is not permitted",
      ...meta(429),
    });
    expect(described(throttled).isRetryable).toBe(true);
  });

  it("describes server faults, warm-up, timeouts, model errors, cut streams and network failures", () => {
    const cases: [unknown, string, boolean][] = [
      [
        new ServiceUnavailableException({
          message: "Too many connections",
          $metadata: { httpStatusCode: 503 },
        }),
        "bedrock.service-fault",
        true,
      ],
      [
        new InternalServerException({
          message: "Internal",
          $metadata: { httpStatusCode: 500 },
        }),
        "bedrock.service-fault",
        true,
      ],
      [
        new ModelNotReadyException({ message: "Model is not ready", ...meta(429) }),
        "bedrock.model-not-ready",
        true,
      ],
      [new ModelTimeoutException({ message: "Timed out", ...meta(408) }), "bedrock.timeout", true],
      [
        new ModelErrorException({ message: "Model failed", ...meta(424) }),
        "bedrock.model-error",
        false,
      ],
      [
        new StreamTruncatedError({ lastEvent: "content_block_delta" }),
        "bedrock.stream-truncated",
        true,
      ],
      [Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "bedrock.network", true],
      [Object.assign(new Error("aborted"), { name: "AbortError" }), "bedrock.cancelled", false],
    ];
    for (const [error, code, retryable] of cases) {
      const result = described(error, { model: HAIKU });
      expect(result.code, code).toBe(code);
      expect(result.isRetryable, code).toBe(retryable);
      expect(result.hint?.length, code).toBeGreaterThan(20);
    }
  });

  it("describes a RetryError by its last attempt and counts the attempts", () => {
    const throttle = new ThrottlingException({ message: "Too many requests", ...meta(429) });
    const retry = new RetryError({
      reason: "max-attempts",
      failures: [1, 2, 3].map((attempt) => ({
        attempt,
        lane: "us-east-1",
        kind: "throttled" as const,
        name: "ThrottlingException",
        error: throttle,
      })),
    });
    const result = described(retry, { model: HAIKU });
    expect(result.code).toBe("bedrock.throttled");
    expect(result.message).toMatch(/after 3 attempts/);
    expect(result.cause).toBe(retry);
  });

  it("passes Quarry's own non-call errors and already described errors through", () => {
    const input = new QuarryError("input.maxTokens", "maxTokens must be ...");
    expect(describeError(input)).toBe(input);
    const once = described(new ThrottlingException({ message: "x", ...meta(429) }));
    expect(describeError(once)).toBe(once);
  });
});

describe("describeError on real SDK errors from the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: { deniedModels: ["anthropic.claude-3-opus-20240229-v1:0"] },
    });
  });
  afterAll(() => emulator.close());

  async function fail(modelId: string, body: unknown): Promise<unknown> {
    const client = runtimeClient(emulator.url);
    try {
      await client.send(new InvokeModelCommand({ modelId, body: JSON.stringify(body) }));
      throw new Error("expected the call to fail");
    } catch (error) {
      return error;
    } finally {
      client.destroy();
    }
  }

  it("names the misspelt field", async () => {
    const error = await fail(HAIKU, {
      anthropic_version: "bedrock-2023-05-31",
      max_token: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    const result = described(error, { model: resolveModel(HAIKU), region: "us-east-1" });
    expect(result.extraneousFields).toEqual(["max_token"]);
    expect(result.missingFields).toEqual(["max_tokens"]);
    expect(result.status).toBe(400);
  });

  it("suggests the profile id for a profile-only model", async () => {
    const error = await fail(SONNET_45, {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(
      described(error, { model: resolveModel(SONNET_45), region: "us-east-1" }).hint,
    ).toContain(`us.${SONNET_45}`);
  });

  it("explains a denied model and an unknown one", async () => {
    const body = {
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    };
    const denied = described(await fail("anthropic.claude-3-opus-20240229-v1:0", body), {
      region: "us-east-1",
    });
    expect(denied).toMatchObject({ code: "bedrock.access-denied", status: 403 });
    expect(denied.hint).toMatch(/Model access/);
    const unknown = described(await fail("anthropic.claude-nine", body), { region: "us-east-1" });
    expect(unknown.code).toBe("bedrock.model-not-found");
  });
});
