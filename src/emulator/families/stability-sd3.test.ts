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
import { SD3_SIZES } from "./stability-sd3.js";

const SD3 = "stability.sd3-large-v1:0";
const MODELS = [
  SD3,
  "stability.sd3-5-large-v1:0",
  "stability.stable-image-core-v1:1",
  "stability.stable-image-ultra-v1:1",
];

describe("Stable Diffusion 3 and Stable Image through the real AWS SDK", () => {
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

  async function generate(body: unknown, modelId = SD3): Promise<any> {
    const response = await client.send(
      new InvokeModelCommand({
        modelId,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return jsonBody(response.body);
  }

  it("answers the documented request like the documented response, on every model of the family", async () => {
    for (const modelId of MODELS) {
      const body = await generate(fixtureBody("stability-sd3-request"), modelId);
      expect(shapeMismatches(body, loadFixture("stability-sd3-response"))).toEqual([]);
      expect(body.finish_reasons).toEqual([null]);
      const png = PNG.sync.read(Buffer.from(body.images[0], "base64"));
      expect([png.width, png.height]).toEqual([1024, 1024]);
      expect(usage()).toMatchObject({ input: 6, output: 0 });
    }
  });

  it("renders each aspect ratio at its size; the seed decides the bytes", async () => {
    for (const ratio of ["16:9", "9:21", "4:5"]) {
      const body = await generate({ prompt: "a cliff of chalk", aspect_ratio: ratio, seed: 3 });
      const png = PNG.sync.read(Buffer.from(body.images[0], "base64"));
      expect([png.width, png.height]).toEqual(SD3_SIZES[ratio]);
      expect(body.seeds).toEqual([3]);
    }
    const first = await generate({ prompt: "a cliff of chalk", seed: 11, output_format: "png" });
    const again = await generate({ prompt: "a cliff of chalk", seed: 11 });
    const other = await generate({ prompt: "a cliff of chalk", seed: 12 });
    expect(again.images[0]).toBe(first.images[0]);
    expect(other.images[0]).not.toBe(first.images[0]);
  });

  it("refuses bad bodies in Bedrock's words, and what the emulator does not render", async () => {
    expect(await refusal(client, SD3, { prompt: "x", aspect_ratio: "4:3", seed: -1 })).toEqual({
      name: "ValidationException",
      message: malformed(
        "#/aspect_ratio: 4:3 is not a valid enum value",
        "#/seed: -1 is not greater or equal to 0",
      ),
      status: 400,
    });
    expect((await refusal(client, SD3, { text_prompts: [{ text: "x" }] })).message).toBe(
      malformed(
        "#: required key [prompt] not found",
        "#: extraneous key [text_prompts] is not permitted",
      ),
    );
    expect((await refusal(client, SD3, { prompt: { text: "x" } })).message).toBe(
      malformed("#/prompt: expected type: String, found: JSONObject"),
    );
    expect((await refusal(client, SD3, { prompt: "x", output_format: "jpeg" })).message).toContain(
      "PNG images only",
    );
    expect(
      (
        await refusal(client, SD3, {
          prompt: "x",
          mode: "image-to-image",
          image: "AAAA",
          strength: 0.5,
        })
      ).message,
    ).toContain("text-to-image only");
  });
});
