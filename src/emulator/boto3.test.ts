import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./start-emulator.js";

// boto3 is a second real client, written by AWS, that speaks HTTP/1.1: if it reads the
// emulator's bytes as the JavaScript SDK does, the wire format is right and not merely
// agreeable to one SDK. Debian's python3-boto3 predates Bedrock, so AWS's published service
// models are given to it through AWS_DATA_PATH.

const PYTHON = "/usr/bin/python3";
const here = dirname(fileURLToPath(import.meta.url));
const REPOSITORY = resolve(here, "../..");
/** The service models live beside the repository, not at a fixed absolute path. */
const SERVICE_MODELS = resolve(REPOSITORY, "../shared/reference/service-models");
const SCRIPT = join(here, "__fixtures__", "boto3-wire-check.py");
const DENIED = "anthropic.claude-3-sonnet-20240229-v1:0";

const run = promisify(execFile);
const environment = { ...process.env, AWS_DATA_PATH: SERVICE_MODELS };

/** Fails with a message saying what to install, instead of skipping. */
async function requireBoto3(): Promise<void> {
  if (!existsSync(join(SERVICE_MODELS, "bedrock-runtime")))
    throw new Error(
      `The boto3 wire test needs AWS's bedrock-runtime service model in ${SERVICE_MODELS} (the repository's ../shared/reference/service-models).`,
    );
  if (!existsSync(PYTHON))
    throw new Error(
      `The boto3 wire test needs ${PYTHON}: install python3 (apt-get install python3).`,
    );
  try {
    await run(
      PYTHON,
      ["-c", "import boto3; boto3.client('bedrock-runtime', region_name='us-east-1')"],
      {
        env: environment,
      },
    );
  } catch (error) {
    throw new Error(
      `The boto3 wire test needs boto3 with the bedrock-runtime model (apt-get install python3-boto3): ${(error as { stderr?: string }).stderr ?? error}`,
    );
  }
}

describe("boto3 against the emulator over HTTP/1.1", () => {
  let emulator: Emulator;
  let result: any;

  beforeAll(async () => {
    await requireBoto3();
    emulator = await startEmulator({ port: 0, config: { deniedModels: [DENIED] } });
    // Asynchronous on purpose: the emulator answers from this very process.
    const { stdout } = await run(PYTHON, [SCRIPT, emulator.url], {
      env: environment,
      timeout: 60_000,
    });
    result = JSON.parse(stdout);
  });
  afterAll(() => emulator?.close());

  it("invoke_model returns a Claude message, with the token-count headers", () => {
    expect(result.invoke.status).toBe(200);
    expect(result.invoke.contentType).toBe("application/json");
    expect(result.invoke.body).toMatchObject({
      type: "message",
      role: "assistant",
      stop_reason: "end_turn",
      content: [{ type: "text" }],
    });
    expect(Number(result.invoke.inputTokenHeader)).toBe(result.invoke.body.usage.input_tokens);
  });

  it("invoke_model_with_response_stream yields Claude's events, metrics on the last", () => {
    expect(result.stream.status).toBe(200);
    expect(result.stream.types[0]).toBe("message_start");
    expect(result.stream.types).toContain("content_block_delta");
    expect(result.stream.types.at(-1)).toBe("message_stop");
    expect(result.stream.text.length).toBeGreaterThan(10);
    expect(result.stream.metrics.outputTokenCount).toBeGreaterThan(0);
  });

  it("errors arrive as botocore's modeled exception classes", () => {
    expect(result.errors.validation).toEqual({
      class: "ValidationException",
      code: "ValidationException",
      message:
        "Malformed input request: #: required key [messages] not found, please reformat your input and try again.",
      status: 400,
    });
    expect(result.errors.accessDenied).toEqual({ class: "AccessDeniedException", status: 403 });
  });

  it("converse returns an assistant message with consistent usage", () => {
    expect(result.converse.status).toBe(200);
    expect(result.converse.role).toBe("assistant");
    expect(result.converse.text.length).toBeGreaterThan(0);
    expect(result.converse.stopReason).toBe("end_turn");
    expect(result.converse.usage.totalTokens).toBe(
      result.converse.usage.inputTokens + result.converse.usage.outputTokens,
    );
  });

  it("converse_stream yields messageStart … messageStop and metadata", () => {
    expect(result.converseStream.status).toBe(200);
    expect(result.converseStream.events[0]).toBe("messageStart");
    expect(result.converseStream.events).toContain("contentBlockDelta");
    expect(result.converseStream.events).toContain("messageStop");
    expect(result.converseStream.events).toContain("metadata");
    expect(result.converseStream.text.length).toBeGreaterThan(0);
    expect(result.converseStream.stopReason).toBe("end_turn");
  });

  it("the emulator saw boto3's calls as the operations they are", () => {
    const byOperation = emulator.stats().byOperation;
    expect(byOperation.InvokeModel?.ok).toBe(1);
    expect(byOperation.InvokeModel?.ValidationException).toBe(1);
    expect(byOperation.InvokeModelWithResponseStream?.ok).toBe(1);
    expect(byOperation.Converse?.ok).toBe(1);
    expect(byOperation.ConverseStream?.ok).toBe(1);
  });
});
