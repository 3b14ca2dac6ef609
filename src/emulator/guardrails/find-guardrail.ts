import type { EmulatorConfig, GuardrailConfig } from "../config/emulator-config.js";

const GUARDRAIL_ARN = /^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]*:\d*:guardrail\/([a-z0-9]+)$/;

/**
 * The configured guardrail a request names, by id or ARN and version (`DRAFT` or a number), or
 * undefined when there is none. A missing version means `DRAFT`.
 */
export function findGuardrail(
  config: EmulatorConfig,
  identifier: string,
  version: string | undefined,
): GuardrailConfig | undefined {
  const id = GUARDRAIL_ARN.exec(identifier)?.[1] ?? identifier;
  const wanted = version === undefined || version === "" ? "DRAFT" : version;
  return config.guardrails.find((guardrail) => guardrail.id === id && guardrail.version === wanted);
}

/** Bedrock's words for a guardrail that does not exist in this account and region. */
export const GUARDRAIL_NOT_FOUND =
  "The guardrail identifier or version provided in the request does not exist.";
