import {
  ApplyGuardrailCommand,
  type ApplyGuardrailCommandInput,
  ResourceNotFoundException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const GUARDRAIL = {
  id: "gr8finance1",
  version: "1",
  deniedWords: ["lottery", "get rich quick"],
  deniedTopics: [
    { name: "Investment advice", phrases: ["which stocks", "buy shares", "investment advice"] },
    { name: "Medical advice", phrases: ["diagnose"] },
  ],
  blockedInputMessaging: "Sorry, I can't discuss that.",
  blockedOutputsMessaging: "Sorry, I can't share that answer.",
};

describe("ApplyGuardrail through the real AWS SDK", () => {
  let emulator: Emulator;
  const apply = (input: Partial<ApplyGuardrailCommandInput>) =>
    runtimeClient(emulator.url).send(
      new ApplyGuardrailCommand({
        guardrailIdentifier: GUARDRAIL.id,
        guardrailVersion: "1",
        source: "INPUT",
        content: [],
        ...input,
      }),
    );
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, config: { guardrails: [GUARDRAIL] } });
  });
  afterAll(() => emulator.close());

  it("intervenes on a denied topic and a denied word, with both assessments and usage", async () => {
    const response = await apply({
      content: [{ text: { text: "Which stocks should I buy with my LOTTERY winnings?" } }],
    });
    expect(response.action).toBe("GUARDRAIL_INTERVENED");
    expect(response.actionReason).toBe("Guardrail blocked.");
    expect(response.outputs).toEqual([{ text: "Sorry, I can't discuss that." }]);
    const [assessment] = response.assessments!;
    expect(assessment!.topicPolicy!.topics).toEqual([
      { name: "Investment advice", type: "DENY", action: "BLOCKED", detected: true },
    ]);
    expect(assessment!.wordPolicy!.customWords).toEqual([
      { match: "lottery", action: "BLOCKED", detected: true },
    ]);
    expect(assessment!.wordPolicy!.managedWordLists).toEqual([]);
    expect(response.usage).toEqual({
      topicPolicyUnits: 1,
      contentPolicyUnits: 0,
      wordPolicyUnits: 1,
      sensitiveInformationPolicyUnits: 0,
      sensitiveInformationPolicyFreeUnits: 0,
      contextualGroundingPolicyUnits: 0,
    });
    expect(response.guardrailCoverage).toEqual({ textCharacters: { guarded: 51, total: 51 } });
  });

  it("lets clean text through with action NONE and no outputs", async () => {
    const response = await apply({
      content: [{ text: { text: "What is the capital of Portugal?" } }],
    });
    expect(response.action).toBe("NONE");
    expect(response.actionReason).toBe("No action.");
    expect(response.outputs).toEqual([]);
    expect(response.assessments![0]!.topicPolicy).toBeUndefined();
    expect(response.assessments![0]!.invocationMetrics!.usage!.topicPolicyUnits).toBe(1);
  });

  it("matches whole words only, and answers OUTPUT with the blocked-output message", async () => {
    const none = await apply({ content: [{ text: { text: "Lotteryland is a theme park." } }] });
    expect(none.action).toBe("NONE");
    const blocked = await apply({
      source: "OUTPUT",
      content: [{ text: { text: "Here is a get   rich quick scheme." } }],
    });
    expect(blocked.action).toBe("GUARDRAIL_INTERVENED");
    expect(blocked.outputs).toEqual([{ text: "Sorry, I can't share that answer." }]);
  });

  it("lists undetected topics too with outputScope FULL", async () => {
    const response = await apply({
      outputScope: "FULL",
      content: [{ text: { text: "Please diagnose my headache." } }],
    });
    expect(response.assessments![0]!.topicPolicy!.topics).toEqual([
      { name: "Investment advice", type: "DENY", action: "NONE", detected: false },
      { name: "Medical advice", type: "DENY", action: "BLOCKED", detected: true },
    ]);
  });

  it("guards only unqualified and guard_content text; grounding sources count toward coverage", async () => {
    const response = await apply({
      content: [
        { text: { text: "Buy shares in lottery companies.", qualifiers: ["grounding_source"] } },
        { text: { text: "Is this a good idea?", qualifiers: ["query"] } },
        { text: { text: "Yes, a fine idea.", qualifiers: ["guard_content"] } },
      ],
    });
    expect(response.action).toBe("NONE");
    expect(response.guardrailCoverage!.textCharacters).toEqual({ guarded: 17, total: 69 });
  });

  it("finds the guardrail by ARN as well as by id", async () => {
    const response = await apply({
      guardrailIdentifier: `arn:aws:bedrock:us-east-1:123456789012:guardrail/${GUARDRAIL.id}`,
      content: [{ text: { text: "lottery" } }],
    });
    expect(response.action).toBe("GUARDRAIL_INTERVENED");
  });

  it("answers an unknown guardrail id or version with ResourceNotFoundException", async () => {
    for (const input of [
      { guardrailIdentifier: "doesnotexist" },
      { guardrailVersion: "DRAFT" },
      { guardrailVersion: "2" },
    ]) {
      const error = await apply({ ...input, content: [{ text: { text: "hi" } }] }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    }
  });

  it("refuses a request without source in the service model's words", async () => {
    const response = await fetch(`${emulator.url}/guardrail/${GUARDRAIL.id}/version/1/apply`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: [{ text: { text: "hi" } }] }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/);
    expect(await response.json()).toEqual({
      message:
        "1 validation error detected: Value null at 'source' failed to satisfy constraint: Member must not be null",
    });
    const error = await apply({ source: "SIDEWAYS" as never }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      "1 validation error detected: Value 'SIDEWAYS' at 'source' failed to satisfy constraint: Member must satisfy enum value set: [INPUT, OUTPUT]",
    );
  });
});
