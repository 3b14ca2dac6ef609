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

const ENGLISH = "cohere.embed-english-v3";
const MULTILINGUAL = "cohere.embed-multilingual-v3";
const V4 = "us.cohere.embed-v4:0";

describe("Cohere Embed through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    client = runtimeClient(emulator.url, { http1: true });
    usage = recordUsageHeaders(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  async function embed(body: unknown, modelId = ENGLISH): Promise<any> {
    const response = await client.send(
      new InvokeModelCommand({
        modelId,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return jsonBody(response.body);
  }

  it("answers the documented request with the documented shape: one vector a text a type", async () => {
    const body = await embed(fixtureBody("cohere-embed-request"));
    expect(shapeMismatches(body, loadFixture("cohere-embed-response"))).toEqual([]);
    expect(body.response_type).toBe("embeddings_by_type");
    expect(body.texts).toEqual(["hello world", "this is a test"]);
    expect(body.embeddings.float).toHaveLength(2);
    expect(body.embeddings.int8).toHaveLength(2);
    for (const vector of [...body.embeddings.float, ...body.embeddings.int8])
      expect(vector).toHaveLength(1024);
    expect(
      body.embeddings.int8.flat().every((value: number) => value >= -128 && value <= 127),
    ).toBe(true);
    expect(usage()).toMatchObject({ input: 6, output: 0 });
  });

  it("answers a batch of N texts with N float vectors, the same text giving the same vector", async () => {
    const texts = Array.from({ length: 96 }, (_, i) => (i % 2 ? "basalt" : `stone ${i}`));
    const body = await embed({ texts, input_type: "search_document" }, MULTILINGUAL);
    expect(body.response_type).toBe("embeddings_floats");
    expect(body.embeddings).toHaveLength(96);
    expect(body.embeddings[1]).toEqual(body.embeddings[3]);
    expect(body.embeddings[0]).not.toEqual(body.embeddings[2]);
    const query = await embed({ texts: ["basalt"], input_type: "search_query" }, MULTILINGUAL);
    expect(query.embeddings[0]).toEqual(body.embeddings[1]);
  });

  it("packs binary and ubinary one bit a dimension", async () => {
    const body = await embed({
      texts: ["quartz"],
      input_type: "clustering",
      embedding_types: ["float", "binary", "ubinary", "uint8"],
    });
    const float: number[] = body.embeddings.float[0];
    expect(body.embeddings.binary[0]).toHaveLength(128);
    expect(body.embeddings.ubinary[0]).toHaveLength(128);
    const firstByte = float
      .slice(0, 8)
      .reduce((byte, value) => (byte << 1) | (value > 0 ? 1 : 0), 0);
    expect(body.embeddings.ubinary[0][0]).toBe(firstByte);
    expect(body.embeddings.binary[0][0]).toBe(firstByte > 127 ? firstByte - 256 : firstByte);
    expect(body.embeddings.uint8[0].every((value: number) => value >= 0 && value <= 255)).toBe(
      true,
    );
  });

  it("honours v4's output_dimension, which v3 does not take", async () => {
    for (const dimension of [256, 1536]) {
      const body = await embed(
        { texts: ["mica"], input_type: "classification", output_dimension: dimension },
        V4,
      );
      expect(body.embeddings[0]).toHaveLength(dimension);
    }
    expect(
      (await embed({ texts: ["mica"], input_type: "classification" }, V4)).embeddings[0],
    ).toHaveLength(1536);
    expect(
      (
        await refusal(client, ENGLISH, {
          texts: ["mica"],
          input_type: "classification",
          output_dimension: 256,
        })
      ).message,
    ).toBe(malformed("#: extraneous key [output_dimension] is not permitted"));
  });

  it("refuses more than 96 texts, a missing input_type and over-long texts in Bedrock's words", async () => {
    const texts = Array.from({ length: 97 }, (_, i) => `text ${i}`);
    expect(await refusal(client, ENGLISH, { texts, input_type: "search_document" })).toEqual({
      name: "ValidationException",
      message: malformed("#/texts: expected maximum item count: 96, found: 97"),
      status: 400,
    });
    expect((await refusal(client, ENGLISH, { texts: "a", input_type: "clustering" })).message).toBe(
      malformed("#/texts: expected type: JSONArray, found: String"),
    );
    expect((await refusal(client, ENGLISH, { texts: ["a"] })).message).toBe(
      malformed("#: required key [input_type] not found"),
    );
    expect(
      (await refusal(client, ENGLISH, { texts: ["a".repeat(2049)], input_type: "search_query" }))
        .message,
    ).toBe(malformed("#/texts/0: expected maxLength: 2048, actual: 2049"));
    expect(
      (await refusal(client, ENGLISH, { texts: ["a"], input_type: "search", truncate: "LEFT" }))
        .message,
    ).toBe(
      malformed(
        "#/input_type: search is not a valid enum value",
        "#/truncate: LEFT is not a valid enum value",
      ),
    );
  });
});
