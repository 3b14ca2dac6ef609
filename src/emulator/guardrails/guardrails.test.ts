import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import { assessGuardrail, containsPhrase } from "./assess-guardrail.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const NOVA = "amazon.nova-lite-v1:0";

// The synthetic responder writes prose from a fixed word list; "harbor" is one of its words, so a
// guardrail that denies it intervenes on the model's output of a long enough reply.
const GUARDRAIL = {
  id: "abc123guard",
  version: "DRAFT",
  deniedWords: ["harbor"],
  deniedTopics: [{ name: "Finance", phrases: ["stock tips"] }],
  blockedInputMessaging: "I can't talk about that.",
  blockedOutputsMessaging: "That answer was withheld.",
};
const guardrailConfig = { guardrailIdentifier: GUARDRAIL.id, guardrailVersion: "DRAFT" };
const BLOCKED_PROMPT = "Give me stock tips for tomorrow.";
const LONG_PROMPT = "Write 400 words about the coast.";

const claudeBody = (prompt: string) =>
  JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 600,
    messages: [{ role: "user", content: prompt }],
  });

describe("assessGuardrail", () => {
  it("matches whole words and phrases regardless of case and spacing", () => {
    expect(containsPhrase("Any STOCK  tips?", "stock tips")).toBe(true);
    expect(containsPhrase("stockpile tips", "stock tips")).toBe(false);
    expect(containsPhrase("harbors", "harbor")).toBe(false);
    const verdict = assessGuardrail(GUARDRAIL, ["x".repeat(2_500)]);
    expect(verdict.intervened).toBe(false);
    expect(verdict.usage.wordPolicyUnits).toBe(3);
  });
});

describe("guardrails on inference through the real AWS SDK", () => {
  let emulator: Emulator;
  const client = () => runtimeClient(emulator.url);
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, config: { guardrails: [GUARDRAIL] } });
  });
  afterAll(() => emulator.close());

  it("Converse: a blocked input gets the blocked-input message, guardrail_intervened and a trace", async () => {
    const response = await client().send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: "user", content: [{ text: BLOCKED_PROMPT }] }],
        guardrailConfig: { ...guardrailConfig, trace: "enabled" },
      }),
    );
    expect(response.stopReason).toBe("guardrail_intervened");
    expect(response.output!.message!.content).toEqual([{ text: "I can't talk about that." }]);
    expect(response.usage).toEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    const trace = response.trace!.guardrail!;
    expect(trace.actionReason).toBe("Guardrail blocked.");
    expect(trace.inputAssessment![GUARDRAIL.id]!.topicPolicy!.topics).toEqual([
      { name: "Finance", type: "DENY", action: "BLOCKED", detected: true },
    ]);
    expect(trace.outputAssessments).toBeUndefined();
  });

  it("Converse: a blocked output is replaced, its tokens still counted", async () => {
    const response = await client().send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: "user", content: [{ text: LONG_PROMPT }] }],
        guardrailConfig: { ...guardrailConfig, trace: "enabled" },
      }),
    );
    expect(response.stopReason).toBe("guardrail_intervened");
    expect(response.output!.message!.content).toEqual([{ text: "That answer was withheld." }]);
    expect(response.usage!.outputTokens).toBeGreaterThan(400);
    const trace = response.trace!.guardrail!;
    expect(trace.modelOutput![0]).toMatch(/harbor/i);
    expect(trace.outputAssessments![GUARDRAIL.id]![0]!.wordPolicy!.customWords).toEqual([
      { match: "harbor", action: "BLOCKED", detected: true },
    ]);
  });

  it("Converse: a clean exchange passes, with no trace unless asked for", async () => {
    const response = await client().send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: "user", content: [{ text: "Say hello in 3 tokens." }] }],
        guardrailConfig,
      }),
    );
    expect(response.stopReason).toBe("end_turn");
    expect(response.trace).toBeUndefined();
  });

  it("Converse: with guardContent, only the guarded blocks are assessed", async () => {
    const response = await client().send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [
          {
            role: "user",
            content: [
              { text: `Background: ${BLOCKED_PROMPT}` },
              { guardContent: { text: { text: "Summarise the background in 3 tokens." } } },
            ],
          },
        ],
        guardrailConfig,
      }),
    );
    expect(response.stopReason).toBe("end_turn");
  });

  it("ConverseStream: a blocked input streams the blocked message and a trace in metadata", async () => {
    const response = await client().send(
      new ConverseStreamCommand({
        modelId: NOVA,
        messages: [{ role: "user", content: [{ text: BLOCKED_PROMPT }] }],
        guardrailConfig: { ...guardrailConfig, trace: "enabled", streamProcessingMode: "sync" },
      }),
    );
    const events: any[] = [];
    for await (const event of response.stream!) events.push(event);
    const text = events
      .filter((e) => e.contentBlockDelta)
      .map((e) => e.contentBlockDelta.delta.text)
      .join("");
    expect(text).toBe("I can't talk about that.");
    expect(events.find((e) => e.messageStop).messageStop.stopReason).toBe("guardrail_intervened");
    const metadata = events.find((e) => e.metadata).metadata;
    expect(metadata.trace.guardrail.inputAssessment[GUARDRAIL.id].topicPolicy.topics[0].name).toBe(
      "Finance",
    );
  });

  it("InvokeModel: a blocked input gets the family's body with amazon-bedrock-guardrailAction", async () => {
    const response = await client().send(
      new InvokeModelCommand({
        modelId: HAIKU,
        body: claudeBody(BLOCKED_PROMPT),
        guardrailIdentifier: GUARDRAIL.id,
        guardrailVersion: "DRAFT",
        trace: "ENABLED",
      }),
    );
    const body = jsonBody(response.body);
    expect(body.type).toBe("message");
    expect(body.content).toEqual([{ type: "text", text: "I can't talk about that." }]);
    expect(body["amazon-bedrock-guardrailAction"]).toBe("INTERVENED");
    const trace = body["amazon-bedrock-trace"].guardrail;
    expect(trace.input[GUARDRAIL.id].topicPolicy.topics[0]).toEqual({
      name: "Finance",
      type: "DENY",
      action: "BLOCKED",
      detected: true,
    });
    expect(trace.input[GUARDRAIL.id].invocationMetrics.usage.topicPolicyUnits).toBe(1);
  });

  it("InvokeModel: a clean call says NONE, and the trace only appears when enabled", async () => {
    const response = await client().send(
      new InvokeModelCommand({
        modelId: HAIKU,
        body: JSON.stringify({
          ...JSON.parse(claudeBody("Say hello in 3 tokens.")),
          "amazon-bedrock-guardrailConfig": { tagSuffix: "xyz" },
        }),
        guardrailIdentifier: GUARDRAIL.id,
        guardrailVersion: "DRAFT",
      }),
    );
    const body = jsonBody(response.body);
    expect(body["amazon-bedrock-guardrailAction"]).toBe("NONE");
    expect(body["amazon-bedrock-trace"]).toBeUndefined();
    expect(body.usage.output_tokens).toBe(3);
  });

  it("InvokeModelWithResponseStream: a blocked output ends with the action and trace on message_stop", async () => {
    const response = await client().send(
      new InvokeModelWithResponseStreamCommand({
        modelId: HAIKU,
        body: claudeBody(LONG_PROMPT),
        guardrailIdentifier: GUARDRAIL.id,
        guardrailVersion: "DRAFT",
        trace: "ENABLED",
      }),
    );
    const chunks: any[] = [];
    for await (const event of response.body!)
      if (event.chunk?.bytes) chunks.push(JSON.parse(Buffer.from(event.chunk.bytes).toString()));
    const text = chunks
      .filter((c) => c.type === "content_block_delta")
      .map((c) => c.delta.text)
      .join("");
    expect(text).toBe("That answer was withheld.");
    const last = chunks.at(-1);
    expect(last.type).toBe("message_stop");
    expect(last["amazon-bedrock-guardrailAction"]).toBe("INTERVENED");
    expect(
      last["amazon-bedrock-trace"].guardrail.outputs[0][GUARDRAIL.id].wordPolicy,
    ).toBeDefined();
    expect(chunks.slice(0, -1).some((c) => "amazon-bedrock-guardrailAction" in c)).toBe(false);
  });

  it("refuses a guardrail that does not exist in Bedrock's words, on both APIs", async () => {
    const invoke = await client()
      .send(
        new InvokeModelCommand({
          modelId: HAIKU,
          body: claudeBody("Hi"),
          guardrailIdentifier: GUARDRAIL.id,
          guardrailVersion: "7",
        }),
      )
      .catch((caught: unknown) => caught);
    expect(invoke).toBeInstanceOf(ValidationException);
    expect((invoke as Error).message).toBe(
      "The guardrail identifier or version provided in the request does not exist.",
    );
  });
});
