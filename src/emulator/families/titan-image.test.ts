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

const TITAN_V1 = "amazon.titan-image-generator-v1";
const TITAN_V2 = "amazon.titan-image-generator-v2:0";
const CANVAS = "amazon.nova-canvas-v1:0";

function decode(image: string): PNG {
  return PNG.sync.read(Buffer.from(image, "base64"));
}

describe("Titan Image Generator and Nova Canvas through the real AWS SDK", () => {
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

  async function generate(body: unknown, modelId = TITAN_V1): Promise<any> {
    const response = await client.send(
      new InvokeModelCommand({
        modelId,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return jsonBody(response.body);
  }

  it("answers the documented requests with the documented images: PNGs of the requested size", async () => {
    for (const [modelId, fixture] of [
      [TITAN_V1, "titan-image-request"],
      [TITAN_V2, "titan-image-request"],
      [CANVAS, "titan-image-nova-canvas-request"],
    ] as const) {
      const body = await generate(fixtureBody(fixture), modelId);
      expect(shapeMismatches(body, loadFixture("titan-image-response"), ["error"])).toEqual([]);
      expect(body.images).toHaveLength(1);
      const png = decode(body.images[0]);
      expect([png.width, png.height]).toEqual([512, 512]);
    }
    expect(usage()).toMatchObject({ input: 10, output: 0 });
  });

  it("returns numberOfImages images, each its own; the seed decides the bytes", async () => {
    const request = {
      taskType: "TEXT_IMAGE",
      textToImageParams: { text: "a mosaic of river stones", negativeText: "people" },
      imageGenerationConfig: { numberOfImages: 3, width: 1152, height: 640, seed: 9 },
    };
    const body = await generate(request);
    expect(body.images).toHaveLength(3);
    expect(new Set(body.images).size).toBe(3);
    for (const image of body.images) {
      const png = decode(image);
      expect([png.width, png.height]).toEqual([1152, 640]);
    }
    expect((await generate(request)).images).toEqual(body.images);
    const reseeded = await generate({
      ...request,
      imageGenerationConfig: { ...request.imageGenerationConfig, seed: 10 },
    });
    expect(reseeded.images[0]).not.toBe(body.images[0]);
  });

  it("takes Nova Canvas sizes (multiples of 16 up to 4:1) and styles", async () => {
    const body = await generate(
      {
        taskType: "TEXT_IMAGE",
        textToImageParams: { text: "a lighthouse", style: "FLAT_VECTOR_ILLUSTRATION" },
        imageGenerationConfig: { width: 1280, height: 320 },
      },
      CANVAS,
    );
    const png = decode(body.images[0]);
    expect([png.width, png.height]).toEqual([1280, 320]);
    const tooWide = await refusal(client, CANVAS, {
      taskType: "TEXT_IMAGE",
      textToImageParams: { text: "a lighthouse" },
      imageGenerationConfig: { width: 2048, height: 320 },
    });
    expect(tooWide.message).toContain("aspect ratio");
  });

  it("refuses bad bodies in Bedrock's words, and task types the emulator does not render", async () => {
    expect(
      await refusal(client, TITAN_V1, {
        taskType: "TEXT_IMAGE",
        textToImageParams: { text: "" },
        imageGenerationConfig: { numberOfImages: 6, cfgScale: 11 },
      }),
    ).toEqual({
      name: "ValidationException",
      message: malformed(
        "#/textToImageParams/text: expected minLength: 1, actual: 0",
        "#/imageGenerationConfig/numberOfImages: 6 is not less or equal to 5",
        "#/imageGenerationConfig/cfgScale: 11 is not less or equal to 10",
      ),
      status: 400,
    });
    expect(
      (
        await refusal(client, TITAN_V1, {
          taskType: "TEXT_IMAGE",
          textToImageParams: { text: "x" },
          imageGenerationConfig: { width: "512" },
        })
      ).message,
    ).toBe(malformed("#/imageGenerationConfig/width: expected type: Integer, found: String"));
    expect((await refusal(client, TITAN_V1, { textToImageParams: { text: "x" } })).message).toBe(
      malformed("#: required key [taskType] not found"),
    );
    expect(
      (
        await refusal(client, TITAN_V1, {
          taskType: "TEXT_IMAGE",
          textToImageParams: { text: "x", style: "PHOTOREALISM" },
        })
      ).message,
    ).toBe(malformed("#/textToImageParams: extraneous key [style] is not permitted"));
    const size = await refusal(client, TITAN_V1, {
      taskType: "TEXT_IMAGE",
      textToImageParams: { text: "x" },
      imageGenerationConfig: { width: 1000, height: 1000 },
    });
    expect(size.message).toContain("1000x1000");
    const inpainting = await refusal(client, TITAN_V1, {
      taskType: "INPAINTING",
      inPaintingParams: { image: "AAAA", maskPrompt: "a cat" },
    });
    expect(inpainting).toMatchObject({ name: "ValidationException", status: 400 });
    expect(inpainting.message).toContain("TEXT_IMAGE task type only");
  });
});
