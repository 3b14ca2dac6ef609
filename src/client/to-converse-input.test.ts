import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { runtimeClient } from "../test-support/sdk-clients.js";
import { toConverseInput } from "./to-converse-input.js";

const SONNET = "us.anthropic.claude-sonnet-4-20250514-v1:0";

describe("toConverseInput", () => {
  const request = {
    system: [
      { type: "text" as const, text: "You know rivers." },
      { type: "cache-point" as const, ttl: "1h" as const },
    ],
    messages: [
      {
        role: "user" as const,
        content: [
          { type: "text" as const, text: "Weather in Oslo?" },
          { type: "image" as const, format: "png" as const, bytes: new Uint8Array([1, 2, 3]) },
          { type: "cache-point" as const },
        ],
      },
      {
        role: "assistant" as const,
        content: [
          { type: "reasoning" as const, text: "Need the tool.", signature: "sig" },
          {
            type: "tool-call" as const,
            toolCallId: "t1",
            toolName: "weather",
            input: { city: "Oslo" },
          },
        ],
      },
      {
        role: "user" as const,
        content: [
          {
            type: "tool-result" as const,
            toolCallId: "t1",
            content: { type: "json" as const, value: { c: 7 } },
          },
          { type: "tool-result" as const, toolCallId: "t2", content: "boom", isError: true },
          {
            type: "tool-result" as const,
            toolCallId: "t3",
            content: { type: "json" as const, value: [1, 2] },
          },
        ],
      },
    ],
    tools: [
      {
        name: "weather",
        inputSchema: { type: "object", properties: { city: { type: "string" } } },
      },
    ],
    toolChoice: { type: "tool" as const, name: "weather" },
    temperature: 0.3,
    stopSequences: ["END"],
    reasoning: { budgetTokens: 2048 },
    topK: 40,
  };

  it("maps every neutral part and setting to Converse's shapes", () => {
    const input = toConverseInput(
      SONNET,
      request,
      {
        guardrail: { identifier: "abc123", version: "2", trace: false },
        outputSchema: { schema: { type: "object" }, name: "answer" },
        serviceTier: "flex",
        latency: "optimized",
        requestMetadata: { job: "j1" },
        promptVariables: { city: "Oslo" },
      },
      512,
    );
    expect(input.system).toEqual([
      { text: "You know rivers." },
      { cachePoint: { type: "default", ttl: "1h" } },
    ]);
    expect(input.messages?.[0]?.content).toEqual([
      { text: "Weather in Oslo?" },
      { image: { format: "png", source: { bytes: new Uint8Array([1, 2, 3]) } } },
      { cachePoint: { type: "default" } },
    ]);
    expect(input.messages?.[1]?.content).toEqual([
      { reasoningContent: { reasoningText: { text: "Need the tool.", signature: "sig" } } },
      { toolUse: { toolUseId: "t1", name: "weather", input: { city: "Oslo" } } },
    ]);
    expect(input.messages?.[2]?.content).toEqual([
      { toolResult: { toolUseId: "t1", content: [{ json: { c: 7 } }] } },
      { toolResult: { toolUseId: "t2", content: [{ text: "boom" }], status: "error" } },
      { toolResult: { toolUseId: "t3", content: [{ text: "[1,2]" }] } },
    ]);
    expect(input.inferenceConfig).toEqual({
      maxTokens: 512,
      temperature: 0.3,
      stopSequences: ["END"],
    });
    expect(input.toolConfig?.toolChoice).toEqual({ tool: { name: "weather" } });
    expect(input.additionalModelRequestFields).toEqual({
      thinking: { type: "enabled", budget_tokens: 2048 },
      top_k: 40,
    });
    expect(input.guardrailConfig).toEqual({
      guardrailIdentifier: "abc123",
      guardrailVersion: "2",
      trace: "disabled",
    });
    expect(input.outputConfig).toEqual({
      textFormat: {
        type: "json_schema",
        structure: { jsonSchema: { schema: '{"type":"object"}', name: "answer" } },
      },
    });
    expect(input.serviceTier).toEqual({ type: "flex" });
    expect(input.performanceConfig).toEqual({ latency: "optimized" });
    expect(input.requestMetadata).toEqual({ job: "j1" });
    expect(input.promptVariables).toEqual({ city: { text: "Oslo" } });
  });

  it("refuses a tool choice naming an unknown tool, and tool blocks without tools", () => {
    expect(() =>
      toConverseInput(SONNET, { ...request, toolChoice: { type: "tool", name: "nope" } }, {}, 10),
    ).toThrow(/toolChoice names the tool "nope"/);
    expect(() => toConverseInput(SONNET, { ...request, tools: undefined }, {}, 10)).toThrow(
      /must also list the tools/,
    );
  });

  describe("on the wire, through the real SDK serializer", () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = await startEmulator({ port: 0 });
    });
    afterAll(() => emulator.close());

    it("is a request the emulator's Converse accepts", async () => {
      const client = runtimeClient(emulator.url);
      const input = toConverseInput(
        SONNET,
        {
          system: "Be brief.",
          messages: [{ role: "user", content: "What is the weather in Oslo?" }],
          tools: request.tools,
          toolChoice: { type: "any" },
        },
        { serviceTier: "default", requestMetadata: { job: "j1" } },
        300,
      );
      const output = await client.send(new ConverseCommand(input));
      expect(output.stopReason).toBe("tool_use");
      expect(
        output.output?.message?.content?.some((block) => block.toolUse?.name === "weather"),
      ).toBe(true);
      client.destroy();
    });
  });
});
