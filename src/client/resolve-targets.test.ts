import { describe, expect, it } from "vitest";
import { resolveQuarryOptions } from "./quarry-options.js";

const SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0";
const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

describe("the targets option", () => {
  it("resolves each target, and defaults the client's model to the first target's", () => {
    const resolved = resolveQuarryOptions(
      {
        targets: [
          { region: "us-east-1", model: `us.${SONNET_4}` },
          { region: "eu-west-1", model: `eu.${SONNET_4}`, endpoint: "http://127.0.0.1:4599" },
          { region: "us-west-2" },
        ],
      },
      {},
    );
    expect(resolved.model).toBe(`us.${SONNET_4}`);
    expect(resolved.region).toBeUndefined();
    expect(resolved.targets?.map((target) => [target.region, target.model])).toEqual([
      ["us-east-1", `us.${SONNET_4}`],
      ["eu-west-1", `eu.${SONNET_4}`],
      ["us-west-2", undefined],
    ]);
    expect(resolved.targets?.[1]?.endpoint?.href).toBe("http://127.0.0.1:4599/");
    expect(resolved.targets?.[1]?.modelInfo).toMatchObject({
      baseModelId: SONNET_4,
      route: "cross-region",
    });
    expect(resolveQuarryOptions({}, {}).targets).toBeUndefined();
  });

  it("accepts an application profile ARN as the client's model in its own Region", () => {
    const arn = "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123";
    const resolved = resolveQuarryOptions(
      {
        model: `us.${SONNET_4}`,
        targets: [{ region: "us-east-1" }, { region: "eu-west-1", model: arn }],
      },
      {},
    );
    expect(resolved.targets?.[1]?.modelInfo).toMatchObject({
      baseModelId: SONNET_4,
      route: "application-profile",
      region: "eu-west-1",
    });
  });

  it.each([
    [
      { targets: [] },
      /Option targets must be a non-empty list of \{ region, model\?, endpoint\? \}/,
    ],
    [{ targets: "us-east-1" }, /Option targets must be a non-empty list.*; got "us-east-1"/],
    [{ targets: ["us-east-1"] }, /Option targets\[0\] must be an object .*; got "us-east-1"/],
    [
      { targets: [{ region: "us-east-1" }, { regoin: "us-west-2" }] },
      /Option targets\[1\] has an unknown field "regoin"/,
    ],
    [
      { targets: [{ region: "US West" }] },
      /Option targets\[0\]\.region must be a Region code such as us-east-1; got "US West"/,
    ],
    [
      { targets: [{ region: "us-east-1", endpoint: "localhost:1" }] },
      /Option targets\[0\]\.endpoint must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      { region: "us-east-1", targets: [{ region: "us-west-2" }] },
      /Option targets replaces region: give each target its own region; got region "us-east-1"/,
    ],
    [
      { endpoint: "http://127.0.0.1:1", targets: [{ region: "us-west-2" }] },
      /Option targets replaces endpoint/,
    ],
    [
      { targets: [{ region: "us-east-1", model: "anthropic.claude-3-haikuu" }] },
      /Option targets\[0\]\.model: Unknown model id "anthropic.claude-3-haikuu"/,
    ],
    [
      {
        targets: [
          { region: "us-east-1", model: `us.${SONNET_4}` },
          { region: "eu-west-1", model: `eu.${HAIKU}` },
        ],
      },
      /Option targets must all call the same model: targets\[0\]\.model "us\.anthropic\.claude-sonnet-4-20250514-v1:0" is anthropic\.claude-sonnet-4-20250514-v1:0, but targets\[1\]\.model "eu\.anthropic\.claude-3-haiku-20240307-v1:0" is anthropic\.claude-3-haiku-20240307-v1:0/,
    ],
    [
      { model: HAIKU, targets: [{ region: "us-east-1", model: `us.${SONNET_4}` }] },
      /Option targets must all call the same model: model "anthropic\.claude-3-haiku-20240307-v1:0" is anthropic\.claude-3-haiku/,
    ],
    [
      {
        targets: [
          {
            region: "us-east-1",
            model: `arn:aws:bedrock:eu-west-1::foundation-model/${HAIKU}`,
          },
        ],
      },
      /Option targets\[0\]\.model is an ARN of eu-west-1, but targets\[0\]\.region is us-east-1/,
    ],
    [
      {
        targets: [
          { region: "us-east-1", model: HAIKU },
          { region: "us-east-1", model: HAIKU },
        ],
      },
      /Option targets\[1\] repeats targets\[0\] \(us-east-1, anthropic\.claude-3-haiku-20240307-v1:0\)/,
    ],
  ])("is checked eagerly, naming the option: %j", (options, message) => {
    expect(() => resolveQuarryOptions(options as never, {})).toThrow(message);
  });
});
