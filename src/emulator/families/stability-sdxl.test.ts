import { type BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { PNG } from "pngjs";
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
import { SDXL_SIZES } from "./stability-sdxl.js";

const SDXL = "stability.stable-diffusion-xl-v1";

describe("Stability SDXL 1.0 through the real AWS SDK", () => {
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

  async function generate(body: unknown): Promise<any> {
    const response = await client.send(
      new InvokeModelCommand({
        modelId: SDXL,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return jsonBody(response.body);
  }

  it("answers the documented request with the documented artifacts: a 1024×1024 PNG", async () => {
    const body = await generate(fixtureBody("stability-sdxl-request"));
    expect(shapeMismatches(body, loadFixture("stability-sdxl-response"))).toEqual([]);
    expect(body.result).toBe("success");
    expect(body.artifacts).toHaveLength(1);
    expect(body.artifacts[0]).toMatchObject({ seed: 1234567, finishReason: "SUCCESS" });
    const png = PNG.sync.read(Buffer.from(body.artifacts[0].base64, "base64"));
    expect([png.width, png.height]).toEqual([1024, 1024]);
    expect(usage()).toMatchObject({ input: 10, output: 0 });
  });

  it("renders every allowed size; the same seed gives the same bytes, another seed others", async () => {
    for (const [width, height] of SDXL_SIZES.slice(1, 4)) {
      const body = await generate({
        text_prompts: [{ text: "a quarry at dusk" }],
        width,
        height,
        seed: 5,
      });
      const png = PNG.sync.read(Buffer.from(body.artifacts[0].base64, "base64"));
      expect([png.width, png.height]).toEqual([width, height]);
    }
    const request = { text_prompts: [{ text: "a quarry at dusk" }], seed: 42 };
    const first = await generate(request);
    const second = await generate(request);
    const third = await generate({ ...request, seed: 43 });
    expect(second.artifacts[0].base64).toBe(first.artifacts[0].base64);
    expect(third.artifacts[0].base64).not.toBe(first.artifacts[0].base64);
    // Seed 0 asks for a random seed: a real one is reported, and it is reproducible.
    const random = await generate({ ...request, seed: 0 });
    expect(random.artifacts[0].seed).toBeGreaterThan(0);
    expect((await generate({ ...request, seed: 0 })).artifacts[0].seed).toBe(
      random.artifacts[0].seed,
    );
  });

  it("refuses bad bodies and sizes in Bedrock's words", async () => {
    expect(await refusal(client, SDXL, { prompt: "x" })).toEqual({
      name: "ValidationException",
      message: malformed(
        "#: required key [text_prompts] not found",
        "#: extraneous key [prompt] is not permitted",
      ),
      status: 400,
    });
    expect(
      (
        await refusal(client, SDXL, {
          text_prompts: [{ text: "x" }],
          cfg_scale: 36,
          steps: 5,
          style_preset: "watercolour",
        })
      ).message,
    ).toBe(
      malformed(
        "#/cfg_scale: 36 is not less or equal to 35",
        "#/steps: 5 is not greater or equal to 10",
        "#/style_preset: watercolour is not a valid enum value",
      ),
    );
    expect(
      (await refusal(client, SDXL, { text_prompts: [{ text: "x" }], seed: 1.5 })).message,
    ).toBe(malformed("#/seed: expected type: Integer, found: BigDecimal"));
    const size = await refusal(client, SDXL, {
      text_prompts: [{ text: "x" }],
      width: 512,
      height: 512,
    });
    expect(size).toMatchObject({ name: "ValidationException", status: 400 });
    expect(size.message).toContain("512x512");
    expect(size.message).toContain("1152x896");
    const imageToImage = await refusal(client, SDXL, {
      text_prompts: [{ text: "x" }],
      init_image: "AAAA",
    });
    expect(imageToImage.message).toContain("text-to-image only");
  });
});
