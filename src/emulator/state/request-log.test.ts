import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { runtimeClient } from "../../test-support/sdk-clients.js";
import { startEmulator } from "../start-emulator.js";
import { RequestLog } from "./request-log.js";

describe("RequestLog", () => {
  it("keeps the most recent entries, oldest first, and nothing when off", () => {
    const log = new RequestLog(2);
    for (const n of [1, 2, 3])
      log.add({ at: n, operation: "Op", status: 200, body: Buffer.from(`b${n}`) });
    expect(log.entries().map((entry) => entry.body)).toEqual(["b2", "b3"]);
    const off = new RequestLog(0);
    off.add({ at: 0, operation: "Op", status: 200, body: Buffer.from("x") });
    expect(off.entries()).toEqual([]);
  });

  it("serves what the SDK sent at /_quarry/requests, when enabled", async () => {
    const emulator = await startEmulator({ config: { requestLog: 10 } });
    try {
      const client = runtimeClient(emulator.url);
      await client.send(
        new ConverseCommand({
          modelId: "anthropic.claude-3-haiku-20240307-v1:0",
          messages: [{ role: "user", content: [{ text: "REC-42 hello" }] }],
        }),
      );
      client.destroy();
      const log = (await (await fetch(`${emulator.url}/_quarry/requests`)).json()) as {
        requests: { operation: string; status: number; body: string }[];
      };
      expect(log.requests).toHaveLength(1);
      expect(log.requests[0]).toMatchObject({ operation: "Converse", status: 200 });
      expect(log.requests[0]!.body).toContain("REC-42");
    } finally {
      await emulator.close();
    }
  });
});
