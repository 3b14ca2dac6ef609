import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { QuarryError } from "../../errors/quarry-error.js";
import {
  type EmulatorConfig,
  type EmulatorConfigInput,
  emulatorConfigSchema,
} from "./emulator-config.js";

/** Validates a configuration object, naming the field and what was wrong with it. */
export function parseEmulatorConfig(input: unknown, source = "emulator config"): EmulatorConfig {
  const result = emulatorConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new QuarryError("emulator.config", `Invalid ${source}: ${describeIssues(result.error)}`, {
    hint: "Fix the field named above; see the README's emulator section for every option.",
  });
}

/** Reads a YAML or JSON config file. */
export async function loadEmulatorConfigFile(path: string): Promise<EmulatorConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new QuarryError("emulator.config", `Cannot read emulator config ${path}`, { cause });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new QuarryError(
      "emulator.config",
      `Emulator config ${path} is not valid YAML/JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseEmulatorConfig(
    resolveRelativePaths(data, dirname(resolve(path))),
    `emulator config ${path}`,
  );
}

/** Files named in a config file are relative to that file, not to wherever the process started. */
function resolveRelativePaths(data: unknown, folder: string): unknown {
  if (!isPlainObject(data)) return data;
  const out: Record<string, unknown> = { ...data };
  if (isPlainObject(out.responder)) {
    const responder: Record<string, unknown> = { ...out.responder };
    if (typeof responder.script === "string") responder.script = resolve(folder, responder.script);
    if (isPlainObject(responder.cassette) && typeof responder.cassette.path === "string") {
      responder.cassette = {
        ...responder.cassette,
        path: resolve(folder, responder.cassette.path),
      };
    }
    out.responder = responder;
  }
  if (isPlainObject(out.knowledgeBases)) {
    out.knowledgeBases = Object.fromEntries(
      Object.entries(out.knowledgeBases).map(([id, value]) => [
        id,
        typeof value === "string" ? resolve(folder, value) : value,
      ]),
    );
  }
  return out;
}

/**
 * Merges a runtime change into a configuration: objects merge key by key, arrays and scalars
 * replace. The result is validated again, so a bad change is refused whole.
 */
export function mergeEmulatorConfig(
  base: EmulatorConfig,
  change: EmulatorConfigInput,
): EmulatorConfig {
  return parseEmulatorConfig(deepMerge(base, change), "emulator configuration change");
}

function deepMerge(base: unknown, change: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(change)) return change === undefined ? base : change;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(change)) out[key] = deepMerge(base[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
