import { QuarryError } from "../errors/quarry-error.js";
import type { JobOverrides } from "../jobs/job-spec.js";

/** Turns `run`/`estimate` flags into job-file overrides, checking each value. */
export function jobOverrides(options: Readonly<Record<string, unknown>>): JobOverrides {
  const overrides: Record<string, unknown> = {};
  const text = (key: string) => {
    const value = options[key];
    if (value !== undefined) overrides[key === "out" ? "output" : key] = String(value);
  };
  text("endpoint");
  text("model");
  text("region");
  text("profile");
  text("out");
  if (options.rows !== undefined) overrides.rows = positiveInteger("--rows", options.rows);
  if (options.maxTokens !== undefined) {
    overrides.maxTokens =
      options.maxTokens === "auto" ? "auto" : positiveInteger("--max-tokens", options.maxTokens);
  }
  if (options.budget !== undefined) {
    const budget = Number(options.budget);
    if (!Number.isFinite(budget) || budget <= 0) {
      throw new QuarryError(
        "cli.usage",
        `--budget expects an amount of US dollars above 0, got ${JSON.stringify(options.budget)}`,
      );
    }
    overrides.budget = budget;
  }
  return overrides as JobOverrides;
}

function positiveInteger(flag: string, value: unknown): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new QuarryError(
      "cli.usage",
      `${flag} expects a whole number ≥ 1, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}
