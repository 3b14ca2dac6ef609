import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { CallRouter } from "./call-router.js";
import { lookupModel } from "./lookup-model.js";
import { resolveQuarryOptions } from "./quarry-options.js";
import { RegionClients } from "./region-clients.js";

const SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0";
const TITAN_EMBED = "amazon.titan-embed-text-v2:0";

function router() {
  const options = {
    targets: [
      { region: "us-east-1", model: `us.${SONNET_4}` },
      { region: "eu-west-1", model: `eu.${SONNET_4}` },
      { region: "eu-central-1" },
    ],
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" },
    proxy: false as const,
  };
  const resolved = resolveQuarryOptions(options, {});
  const clients = new RegionClients(resolved, options);
  return { router: new CallRouter(resolved.targets!, clients, new ManualClock()), clients };
}

describe("CallRouter", () => {
  it("calls the client's model by each target's own id, and another model by its own id", () => {
    const { router: routes, clients } = router();
    const spread = routes.routes(lookupModel(`us.${SONNET_4}`));
    expect(spread.map((route) => [route.lane, route.target.modelId])).toEqual([
      [`us-east-1|us.${SONNET_4}|cross-region`, `us.${SONNET_4}`],
      [`eu-west-1|eu.${SONNET_4}|cross-region`, `eu.${SONNET_4}`],
      // A target without a model calls the call's own id in its Region.
      [`eu-central-1|us.${SONNET_4}|cross-region`, `us.${SONNET_4}`],
    ]);
    const other = routes.routes(lookupModel(TITAN_EMBED));
    expect(other.map((route) => route.lane)).toEqual([
      `us-east-1|${TITAN_EMBED}|on-demand`,
      `eu-west-1|${TITAN_EMBED}|on-demand`,
      `eu-central-1|${TITAN_EMBED}|on-demand`,
    ]);
    // Each Region's SDK client is made when first used, for that Region.
    expect(spread[1]!.target.client).toBe(other[1]!.target.client);
    expect(spread[1]!.target.client).not.toBe(spread[0]!.target.client);
    clients.destroy();
  });

  it("calls an ARN only in its own Region, and says so when no target is there", async () => {
    const { router: routes, clients } = router();
    const arn = `arn:aws:bedrock:eu-west-1::foundation-model/${TITAN_EMBED}`;
    expect(routes.routes(lookupModel(arn)).map((route) => route.target.region)).toEqual([
      "eu-west-1",
    ]);
    const elsewhere = `arn:aws:bedrock:ap-south-1::foundation-model/${TITAN_EMBED}`;
    expect(() => routes.routes(lookupModel(elsewhere))).toThrow(
      /is an ARN of ap-south-1, but no target is in that Region \(targets: us-east-1, eu-west-1, eu-central-1\)/,
    );
    await expect(
      routes.routes(lookupModel(`us.${SONNET_4}`))[2]!.target.client.config.region(),
    ).resolves.toBe("eu-central-1");
    clients.destroy();
  });
});
