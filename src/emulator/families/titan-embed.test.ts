import { type BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import {
  fixtureBody,
  loadFixture,
  malformed,
  recordUsageHeaders,
  refusal,
  shapeMismatches,
} from "./__fixtures__/fixture-kit.js";

const V2 = "amazon.titan-embed-text-v2:0";
const V1 = "amazon.titan-embed-text-v1";

function norm(vector: number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe("Titan Text Embeddings through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    client = runtimeClient(emulator.url);
    usage = recordUsageHeaders(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  async function embed(body: unknown, modelId = V2): Promise<any> {
    const response = await client.send(
      new InvokeModelCommand({
        modelId,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return jsonBody(response.body);
  }

  it("answers the documented request with the documented shape: 1,024 normalized floats", async () => {
    const body = await embed(fixtureBody("titan-embed-request"));
    expect(shapeMismatches(body, loadFixture("titan-embed-response"))).toEqual([]);
    expect(body.embedding).toHaveLength(1024);
    expect(body.embeddingsByType.float).toEqual(body.embedding);
    expect(norm(body.embedding)).toBeCloseTo(1, 5);
    expect(usage()).toEqual({ input: body.inputTextTokenCount, output: 0, latency: 0 });
    expect(body.inputTextTokenCount).toBeGreaterThan(10);
  });

  it("honours dimensions and normalize, and gives the same text the same vector", async () => {
    for (const dimensions of [256, 512, 1024]) {
      const body = await embed({ inputText: "granite and basalt", dimensions });
      expect(body.embedding).toHaveLength(dimensions);
      expect(norm(body.embedding)).toBeCloseTo(1, 5);
    }
    const raw = await embed({ inputText: "granite and basalt", dimensions: 256, normalize: false });
    expect(Math.abs(norm(raw.embedding) - 1)).toBeGreaterThan(0.1);
    const again = await embed({
      inputText: "granite and basalt",
      dimensions: 256,
      normalize: false,
    });
    expect(again.embedding).toEqual(raw.embedding);
    const other = await embed({
      inputText: "granite and marble",
      dimensions: 256,
      normalize: false,
    });
    expect(other.embedding).not.toEqual(raw.embedding);
  });

  it("returns each embedding type asked for, binary as one 0/1 a dimension", async () => {
    const body = await embed({
      inputText: "slate",
      dimensions: 256,
      embeddingTypes: ["float", "binary"],
    });
    expect(Object.keys(body.embeddingsByType).sort()).toEqual(["binary", "float"]);
    expect(body.embeddingsByType.binary).toHaveLength(256);
    expect(body.embeddingsByType.binary).toEqual(
      body.embedding.map((value: number) => (value > 0 ? 1 : 0)),
    );
  });

  it("answers G1 (v1) with 1,536 dimensions and takes inputText only", async () => {
    const body = await embed(fixtureBody("titan-embed-request"), V1);
    expect(Object.keys(body).sort()).toEqual(["embedding", "inputTextTokenCount"]);
    expect(body.embedding).toHaveLength(1536);
    expect((await refusal(client, V1, { inputText: "x", dimensions: 256 })).message).toBe(
      malformed("#: extraneous key [dimensions] is not permitted"),
    );
  });

  it("refuses bad bodies in Bedrock's words", async () => {
    expect(await refusal(client, V2, { texts: ["a"] })).toEqual({
      name: "ValidationException",
      message: malformed(
        "#: required key [inputText] not found",
        "#: extraneous key [texts] is not permitted",
      ),
      status: 400,
    });
    expect(
      (await refusal(client, V2, { inputText: "x", dimensions: 300, normalize: "yes" })).message,
    ).toBe(
      malformed(
        "#/dimensions: 300 is not a valid enum value",
        "#/normalize: expected type: Boolean, found: String",
      ),
    );
    expect((await refusal(client, V2, { inputText: "x", embeddingTypes: ["int8"] })).message).toBe(
      malformed("#/embeddingTypes/0: int8 is not a valid enum value"),
    );
    expect(
      (await refusal(client, V2, { inputText: "x", embeddingTypes: ["float", "float"] })).message,
    ).toBe(malformed("#/embeddingTypes: array items are not unique"));
    const tooLong = await refusal(client, V2, { inputText: "word ".repeat(8193) });
    expect(tooLong.message).toBe(
      malformed(
        "400 Bad Request: Too many input tokens. Max input tokens: 8192, request input token count: 8193 ",
      ),
    );
  });
});
