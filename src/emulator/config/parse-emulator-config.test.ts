import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QuarryError } from "../../errors/quarry-error.js";
import {
  loadEmulatorConfigFile,
  mergeEmulatorConfig,
  parseEmulatorConfig,
} from "./parse-emulator-config.js";

describe("emulator configuration", () => {
  it("fills every default from an empty object", () => {
    const config = parseEmulatorConfig({});
    expect(config.region).toBe("us-east-1");
    expect(config.limits.maxBodyBytes).toBe(25_000_000);
    expect(config.faults.internalServerError).toBe(0);
  });

  it("names the field and the problem for a bad value", () => {
    expect(() => parseEmulatorConfig({ faults: { internalServerError: 2 } })).toThrow(
      /faults\.internalServerError/,
    );
    expect(() => parseEmulatorConfig({ quotas: { "*": { tmp: 5 } } })).toThrow(QuarryError);
  });

  it("merges objects key by key and replaces arrays", () => {
    const base = parseEmulatorConfig({
      deniedModels: ["a"],
      latency: { firstTokenMs: 5, perOutputTokenMs: 1 },
    });
    const next = mergeEmulatorConfig(base, { deniedModels: ["b"], latency: { firstTokenMs: 9 } });
    expect(next.deniedModels).toEqual(["b"]);
    expect(next.latency).toMatchObject({ firstTokenMs: 9, perOutputTokenMs: 1 });
  });

  it("resolves files named in a config file against that file's folder", async () => {
    const folder = await mkdtemp(join(tmpdir(), "quarry-config-"));
    const file = join(folder, "emulator.yaml");
    await writeFile(
      file,
      "responder:\n  script: replies.jsonl\n  cassette: { mode: replay, path: tapes/run.jsonl }\n",
    );
    const config = await loadEmulatorConfigFile(file);
    expect(config.responder.script).toBe(join(folder, "replies.jsonl"));
    expect(config.responder.cassette?.path).toBe(join(folder, "tapes/run.jsonl"));
  });

  it("says which file is not valid YAML", async () => {
    const folder = await mkdtemp(join(tmpdir(), "quarry-config-"));
    const file = join(folder, "broken.yaml");
    await writeFile(file, "quotas: [\n");
    await expect(loadEmulatorConfigFile(file)).rejects.toThrow(/broken\.yaml is not valid YAML/);
  });
});
