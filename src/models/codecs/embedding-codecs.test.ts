import { describe, expect, it } from "vitest";
import {
  amazonTitanEmbedTextV1Codec,
  amazonTitanEmbedTextV2Codec,
} from "./amazon-titan-embed-text-codec.js";
import { cohereEmbedV3Codec, cohereEmbedV4Codec } from "./cohere-embed-codec.js";
import { readFixture } from "./read-fixture.js";

describe("Titan Text Embeddings", () => {
  it("sends one text with dimensions and normalize (V2), only the text (G1)", () => {
    expect(amazonTitanEmbedTextV2Codec.maxBatch).toBe(1);
    expect(amazonTitanEmbedTextV2Codec.buildRequest(["hello"], { dimensions: 512 })).toEqual({
      inputText: "hello",
      dimensions: 512,
      normalize: true,
    });
    expect(amazonTitanEmbedTextV1Codec.buildRequest(["hello"])).toEqual({ inputText: "hello" });
  });

  it("refuses batches, bad dimensions and Cohere settings, naming the field", () => {
    expect(() => amazonTitanEmbedTextV2Codec.buildRequest(["a", "b"])).toThrow(
      expect.objectContaining({ code: "input.texts" }),
    );
    expect(() => amazonTitanEmbedTextV2Codec.buildRequest(["a"], { dimensions: 768 })).toThrow(
      /256, 512 or 1024; got 768/,
    );
    expect(() =>
      amazonTitanEmbedTextV2Codec.buildRequest(["a"], { inputType: "search_query" }),
    ).toThrow(expect.objectContaining({ code: "input.inputType" }));
    expect(() => amazonTitanEmbedTextV1Codec.buildRequest(["a"], { dimensions: 256 })).toThrow(
      /fixed 1536 dimensions/,
    );
    expect(() => amazonTitanEmbedTextV2Codec.buildRequest([""])).toThrow(
      expect.objectContaining({ code: "input.texts[0]" }),
    );
  });

  it("parses the documented V2 response", () => {
    expect(
      amazonTitanEmbedTextV2Codec.parseResponse(
        readFixture("amazon-titan-embed-text-v2-response.json"),
      ),
    ).toEqual({
      vectors: [[0.123, -0.456, 0.789]],
      inputTokens: 11,
    });
  });
});

describe("Cohere Embed", () => {
  it("builds the documented body for a batch", () => {
    expect(cohereEmbedV3Codec.maxBatch).toBe(96);
    expect(
      cohereEmbedV3Codec.buildRequest(["hello world", "this is a test"], {
        inputType: "search_document",
      }),
    ).toEqual(readFixture("cohere-embed-request.json"));
    expect(
      cohereEmbedV4Codec.buildRequest(["q"], {
        inputType: "search_query",
        dimensions: 256,
        truncate: "END",
      }),
    ).toEqual({
      texts: ["q"],
      input_type: "search_query",
      truncate: "END",
      embedding_types: ["float"],
      output_dimension: 256,
    });
  });

  it("refuses more than 96 texts, over-long texts and v4-only settings on v3", () => {
    const texts = Array.from({ length: 97 }, () => "x");
    expect(() => cohereEmbedV3Codec.buildRequest(texts)).toThrow(/1 to 96 texts per call/);
    expect(() => cohereEmbedV3Codec.buildRequest(["x".repeat(2049)])).toThrow(
      expect.objectContaining({ code: "input.texts[0]" }),
    );
    expect(() => cohereEmbedV3Codec.buildRequest(["x"], { dimensions: 256 })).toThrow(
      /fixed dimensions/,
    );
    expect(() => cohereEmbedV3Codec.buildRequest(["x"], { truncate: "MIDDLE" as never })).toThrow(
      /NONE, START or END/,
    );
  });

  it("parses both response types, in input order", () => {
    expect(
      cohereEmbedV3Codec.parseResponse(readFixture("cohere-embed-floats-response.json")).vectors,
    ).toEqual([
      [0.01, -0.02, 0.03],
      [0.04, 0.05, -0.06],
    ]);
    const byType = {
      id: "x",
      response_type: "embeddings_by_type",
      texts: ["a"],
      embeddings: { float: [[1, 2]] },
    };
    expect(
      cohereEmbedV3Codec.parseResponse(byType, { "X-Amzn-Bedrock-Input-Token-Count": "3" }),
    ).toEqual({
      vectors: [[1, 2]],
      inputTokens: 3,
    });
  });
});
