import { describe, expect, it } from "vitest";
import { amazonNovaCodec } from "./codecs/amazon-nova-codec.js";
import { anthropicClaudeCodec } from "./codecs/anthropic-claude-codec.js";
import { cohereEmbedV3Codec } from "./codecs/cohere-embed-codec.js";
import { stabilitySdxlCodec } from "./codecs/stability-sdxl-codec.js";
import { MODEL_CATALOG } from "./model-catalog.js";
import { embeddingCodecOf, resolveModel, textCodecOf } from "./resolve-model.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";

function errorOf(run: () => unknown): { code: string; message: string; hint?: string } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string; hint?: string };
  }
  throw new Error("expected an error");
}

describe("resolveModel", () => {
  it("reads a base id: on demand, with the family's codec and limits", () => {
    const model = resolveModel(HAIKU);
    expect(model).toMatchObject({
      modelId: HAIKU,
      baseModelId: HAIKU,
      family: "anthropic-claude",
      kind: "text",
      route: "on-demand",
      geography: undefined,
      outputBurndown: 1,
      maxOutputTokens: 4096,
      defaultMaxTokens: 4096,
      known: true,
      suggestedProfileId: undefined,
    });
    expect(model.textCodec).toBe(anthropicClaudeCodec);
    expect(model.capabilities).toMatchObject({ streaming: true, tools: true, images: true });
  });

  it.each([
    ["us", "us."],
    ["eu", "eu."],
    ["apac", "apac."],
    ["global", "global."],
    ["jp", "jp."],
    ["au", "au."],
    ["ca", "ca."],
    ["us-gov", "us-gov."],
  ])("reads a %s cross-region profile id", (geography, prefix) => {
    const model = resolveModel(`${prefix}${SONNET_45}`);
    expect(model).toMatchObject({
      route: "cross-region",
      geography,
      baseModelId: SONNET_45,
      outputBurndown: 5,
    });
  });

  it("gives the Claude 4 family an output burndown of 5 and the others 1", () => {
    const five = MODEL_CATALOG.filter(
      (entry) => entry.kind === "text" && entry.outputBurndown === 5,
    ).map((entry) => entry.name);
    expect(five.sort()).toEqual(
      [
        "Claude Haiku 4.5",
        "Claude Opus 4",
        "Claude Opus 4.1",
        "Claude Opus 4.5",
        "Claude Sonnet 4",
        "Claude Sonnet 4.5",
      ].sort(),
    );
  });

  it("reads foundation-model and inference-profile ARNs, with their Region", () => {
    expect(resolveModel(`arn:aws:bedrock:us-west-2::foundation-model/${HAIKU}`)).toMatchObject({
      route: "on-demand",
      region: "us-west-2",
      baseModelId: HAIKU,
    });
    expect(
      resolveModel(`arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.${HAIKU}`),
    ).toMatchObject({
      route: "cross-region",
      geography: "eu",
      region: "eu-central-1",
      baseModelId: HAIKU,
    });
    expect(
      resolveModel(
        `arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.${HAIKU}`,
      ),
    ).toMatchObject({
      geography: "us-gov",
      region: "us-gov-west-1",
    });
  });

  it("needs a hint for application profiles and provisioned models, and says how to give it", () => {
    const application =
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
    const error = errorOf(() => resolveModel(application));
    expect(error.code).toBe("input.model");
    expect(error.message).toContain("an application inference profile ARN");
    expect(error.hint).toMatch(/\{ baseModelId: .* \{ family: "anthropic-claude" \}/);

    expect(resolveModel(application, { baseModelId: `us.${HAIKU}` })).toMatchObject({
      modelId: application,
      route: "application-profile",
      baseModelId: HAIKU,
      known: true,
    });
    const provisioned = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcd1234";
    const byFamily = resolveModel(provisioned, { family: "anthropic-claude" });
    expect(byFamily).toMatchObject({
      route: "provisioned",
      family: "anthropic-claude",
      known: false,
      baseModelId: provisioned,
    });
    // Only the family is known: the widest limits and the largest burndown of the family.
    expect(byFamily.maxOutputTokens).toBe(64000);
    expect(byFamily.outputBurndown).toBe(5);
    expect(errorOf(() => resolveModel(provisioned, { family: "gpt" as never })).message).toMatch(
      /Unknown model family "gpt"/,
    );
  });

  it("refuses an unknown id, listing the accepted forms and the closest known id", () => {
    const error = errorOf(() => resolveModel("anthropic.claude-3-haiku-20240307-v1"));
    expect(error.code).toBe("input.model");
    expect(error.message).toContain(`Did you mean "${HAIKU}"?`);
    expect(error.message).toContain("cross-region profile id");
    expect(error.message).toContain("foundation-model ARN");
    expect(
      errorOf(() => resolveModel("us.anthropic.claude-sonet-4-5-20250929-v1:0")).message,
    ).toContain(`Did you mean "us.${SONNET_45}"?`);
    expect(errorOf(() => resolveModel("")).code).toBe("input.model");
    expect(
      errorOf(() => resolveModel("arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KB1"))
        .message,
    ).toMatch(/of type "knowledge-base"/);
  });

  it("accepts a model newer than the catalog when its family is given", () => {
    const model = resolveModel("us.anthropic.claude-opus-4-7-v1:0", { family: "anthropic-claude" });
    expect(model).toMatchObject({
      route: "cross-region",
      geography: "us",
      known: false,
      baseModelId: "anthropic.claude-opus-4-7-v1:0",
    });
    expect(model.textCodec).toBe(anthropicClaudeCodec);
  });

  it("suggests the profile id when a profile-only model is called on demand", () => {
    expect(resolveModel(SONNET_45).suggestedProfileId).toBe(`us.${SONNET_45}`);
    expect(resolveModel(`eu.${SONNET_45}`).suggestedProfileId).toBeUndefined();
  });

  it("gives each kind its codec and refuses the wrong kind", () => {
    expect(resolveModel("amazon.nova-lite-v1:0").textCodec).toBe(amazonNovaCodec);
    const embed = resolveModel("cohere.embed-english-v3");
    expect(embeddingCodecOf(embed)).toBe(cohereEmbedV3Codec);
    expect(resolveModel("stability.stable-diffusion-xl-v1").imageCodec).toBe(stabilitySdxlCodec);
    expect(errorOf(() => textCodecOf(embed)).message).toMatch(
      /is an embedding model \(cohere-embed\), not a text model/,
    );
  });

  it("carries the per-model facts codecs check", () => {
    expect(resolveModel("meta.llama4-scout-17b-instruct-v1:0").capabilities.streaming).toBe(false);
    expect(resolveModel("amazon.nova-micro-v1:0").imageInput).toBe(false);
    expect(resolveModel("anthropic.claude-haiku-4-5-20251001-v1:0").temperatureOrTopP).toBe(true);
    expect(resolveModel("cohere.command-text-v14").defaultMaxTokens).toBe(20);
  });

  it("has a codec for every catalog entry of its kind", () => {
    for (const entry of MODEL_CATALOG) {
      const model = resolveModel(entry.baseModelId);
      const codec = model.textCodec ?? model.embeddingCodec ?? model.imageCodec;
      expect(codec?.family).toBe(entry.family);
    }
  });
});
