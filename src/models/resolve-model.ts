/**
 * The one place on the client side that reads a model id. Every form Bedrock's `modelId`
 * accepts for inference comes in; out comes the model behind it, the codec to speak to it,
 * and what the scheduler needs to know (route, geography, output burndown, limits).
 *
 * Forms: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_RequestSyntax
 * Profiles: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 */
import { QuarryError } from "../errors/quarry-error.js";
import {
  catalogEntry,
  familyDefaults,
  GEOGRAPHIES,
  type Geography,
  MODEL_CATALOG,
  type ModelCapabilities,
  type ModelEntry,
} from "./model-catalog.js";
import type {
  CodecModel,
  EmbeddingCodec,
  ImageCodec,
  ModelFamily,
  TextCodec,
} from "./model-codec.js";

/** How a call reaches the model; quotas and prices differ per route. */
export type ModelRoute = "on-demand" | "cross-region" | "application-profile" | "provisioned";

/** What the caller may say about a model its id hides (application profiles, provisioned ARNs). */
export interface ModelHint {
  /** The base model behind the id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. Preferred. */
  readonly baseModelId?: string;
  /** The family, when the exact model is not known. */
  readonly family?: ModelFamily;
}

/** A model id read: the model behind it and how to talk to it. */
export interface ResolvedModel extends CodecModel {
  /** The id as given; this is what is sent as `modelId`. */
  readonly modelId: string;
  readonly family: ModelFamily;
  readonly kind: "text" | "embedding" | "image";
  /** The model's display name (for reports). */
  readonly name: string;
  readonly route: ModelRoute;
  /** The profile's geography, for cross-region ids. */
  readonly geography: Geography | undefined;
  /** The Region named by an ARN, if the id is one. */
  readonly region: string | undefined;
  /** Quota tokens one output token consumes (bedrock-facts §1.2). */
  readonly outputBurndown: number;
  readonly capabilities: ModelCapabilities;
  /** True when the model is in the catalog, false when only its family is known (a hint). */
  readonly known: boolean;
  /**
   * Set when this id invokes on demand a model Bedrock serves only through inference profiles:
   * the profile id to use instead (e.g. `us.anthropic.claude-sonnet-4-...`).
   */
  readonly suggestedProfileId: string | undefined;
  /** The system-defined profile id per geography the model is offered in (`{ us: "us.…" }`). */
  readonly profileIds: Readonly<Partial<Record<Geography, string>>>;
  readonly textCodec: TextCodec | undefined;
  readonly embeddingCodec: EmbeddingCodec | undefined;
  readonly imageCodec: ImageCodec | undefined;
}

const ARN =
  /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):bedrock:([a-z0-9-]+):(\d{12})?:([a-z-]+)\/(.+)$/;

/** The accepted forms, for error messages. */
export const ACCEPTED_FORMS = [
  "a base model id (anthropic.claude-3-haiku-20240307-v1:0)",
  `a cross-region profile id (${GEOGRAPHIES.map((geography) => `${geography}.`).join(", ")} followed by a base model id)`,
  "a foundation-model ARN (arn:aws:bedrock:<region>::foundation-model/<base model id>)",
  "an inference-profile ARN (arn:aws:bedrock:<region>:<account>:inference-profile/<profile id>)",
  "an application inference profile or provisioned-model ARN, with { baseModelId } or { family } to say which model it hides",
];

function modelError(modelId: string, message: string, hint: string): QuarryError {
  return new QuarryError("input.model", message, { model: modelId, hint });
}

/** Splits a `us.`/`eu.`/... prefix off a profile id. */
function splitGeography(id: string): { geography: Geography | undefined; base: string } {
  for (const geography of GEOGRAPHIES)
    if (id.startsWith(`${geography}.`)) return { geography, base: id.slice(geography.length + 1) };
  return { geography: undefined, base: id };
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}

/** The catalog id closest to `id` (keeping a geography prefix if it had one). */
export function closestModelId(id: string): string {
  const { geography, base } = splitGeography(id);
  let best = MODEL_CATALOG[0]!.baseModelId;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const entry of MODEL_CATALOG) {
    const d = distance(base.toLowerCase(), entry.baseModelId);
    if (d < bestDistance) {
      best = entry.baseModelId;
      bestDistance = d;
    }
  }
  return geography ? `${geography}.${best}` : best;
}

function unknownModel(modelId: string, id: string): QuarryError {
  const closest = closestModelId(id);
  return modelError(
    modelId,
    `Unknown model id "${modelId}". Did you mean "${closest}"? Accepted forms: ${ACCEPTED_FORMS.join("; ")}.`,
    `Use "${closest}", or for a model newer than Quarry's catalog pass { family } (one of ${familyNames()}) with the id.`,
  );
}

function familyNames(): string {
  return [...new Set(MODEL_CATALOG.map((entry) => entry.family))].join(", ");
}

function fromHint(modelId: string, hint: ModelHint | undefined, what: string): ModelEntry {
  if (hint?.baseModelId !== undefined) {
    const entry = catalogEntry(splitGeography(hint.baseModelId).base);
    if (!entry) throw unknownModel(modelId, hint.baseModelId);
    return entry;
  }
  if (hint?.family !== undefined) {
    if (!MODEL_CATALOG.some((entry) => entry.family === hint.family))
      throw modelError(
        modelId,
        `Unknown model family "${hint.family}" for ${modelId}.`,
        `Pass one of: ${familyNames()}.`,
      );
    return familyDefaults(hint.family);
  }
  throw modelError(
    modelId,
    `${modelId} is ${what}, which does not say which model it runs.`,
    `Pass the model behind it: resolveModel(id, { baseModelId: "anthropic.claude-3-haiku-20240307-v1:0" }) or { family: "anthropic-claude" } (families: ${familyNames()}).`,
  );
}

function resolved(
  modelId: string,
  entry: ModelEntry,
  route: ModelRoute,
  geography: Geography | undefined,
  region: string | undefined,
): ResolvedModel {
  const known = entry.baseModelId !== "" && catalogEntry(entry.baseModelId) === entry;
  const text = entry.kind === "text" ? entry : undefined;
  const firstProfile = entry.profiles[0];
  return {
    modelId,
    baseModelId: entry.baseModelId !== "" ? entry.baseModelId : modelId,
    family: entry.family,
    kind: entry.kind,
    name: entry.name,
    route,
    geography,
    region,
    outputBurndown: text?.outputBurndown ?? 1,
    maxOutputTokens: text?.maxOutputTokens ?? 0,
    defaultMaxTokens: text?.defaultMaxTokens ?? 0,
    temperatureOrTopP: text?.temperatureOrTopP ?? false,
    imageInput: entry.capabilities.images,
    capabilities: entry.capabilities,
    known,
    suggestedProfileId:
      route === "on-demand" && known && !entry.onDemand && firstProfile
        ? `${firstProfile}.${entry.baseModelId}`
        : undefined,
    profileIds: Object.fromEntries(
      entry.baseModelId === ""
        ? []
        : entry.profiles.map((geography) => [geography, `${geography}.${entry.baseModelId}`]),
    ),
    textCodec: entry.kind === "text" ? entry.codec : undefined,
    embeddingCodec: entry.kind === "embedding" ? entry.codec : undefined,
    imageCodec: entry.kind === "image" ? entry.codec : undefined,
  };
}

/**
 * Reads a model id of any form. Throws `QuarryError` `input.model` for an id it cannot place,
 * saying which forms are accepted and which known id is closest, and for an ARN that hides its
 * model when no hint says which it is.
 */
export function resolveModel(modelId: string, hint?: ModelHint): ResolvedModel {
  if (typeof modelId !== "string" || modelId.trim() === "")
    throw modelError(
      String(modelId),
      "The model id is empty.",
      `Give one of: ${ACCEPTED_FORMS.join("; ")}.`,
    );
  const id = modelId.trim();
  const arn = ARN.exec(id);
  if (arn) {
    const [, , region, , resourceType, resource] = arn as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    switch (resourceType) {
      case "foundation-model": {
        const entry = catalogEntry(resource) ?? hintOrUnknown(id, resource, hint);
        return resolved(id, entry, "on-demand", undefined, region);
      }
      case "inference-profile": {
        const { geography, base } = splitGeography(resource);
        if (!geography) throw unknownModel(id, resource);
        const entry = catalogEntry(base) ?? hintOrUnknown(id, base, hint, resource);
        return resolved(id, entry, "cross-region", geography, region);
      }
      case "application-inference-profile": {
        const entry = fromHint(id, hint, "an application inference profile ARN");
        return resolved(id, entry, "application-profile", undefined, region);
      }
      case "provisioned-model":
      case "custom-model-deployment": {
        const entry = fromHint(id, hint, "a provisioned-throughput ARN");
        return resolved(id, entry, "provisioned", undefined, region);
      }
      case "imported-model": {
        const entry = fromHint(id, hint, "an imported-model ARN");
        return resolved(id, entry, "on-demand", undefined, region);
      }
      default:
        throw modelError(
          id,
          `${id} is a Bedrock ARN of type "${resourceType}", which Quarry cannot invoke.`,
          `Give one of: ${ACCEPTED_FORMS.join("; ")}.`,
        );
    }
  }
  if (id.startsWith("arn:")) throw unknownModel(id, id.split("/").at(-1) ?? id);
  const { geography, base } = splitGeography(id);
  const entry = catalogEntry(base) ?? hintOrUnknown(id, base, hint, id);
  return resolved(id, entry, geography ? "cross-region" : "on-demand", geography, undefined);
}

function hintOrUnknown(
  modelId: string,
  base: string,
  hint: ModelHint | undefined,
  asWritten = base,
): ModelEntry {
  if (hint?.baseModelId !== undefined || hint?.family !== undefined) {
    const entry = fromHint(modelId, hint, "an id Quarry does not know");
    // A family hint for an unknown id keeps the id itself as the base model id.
    return entry.baseModelId === "" ? { ...entry, baseModelId: base } : entry;
  }
  throw unknownModel(modelId, asWritten);
}

function wrongKind(model: ResolvedModel, wanted: string): QuarryError {
  return new QuarryError(
    "input.model",
    `${model.modelId} is ${model.kind === "text" ? "a text" : `an ${model.kind}`} model (${model.family}), not ${wanted}.`,
    { model: model.modelId, hint: `Choose ${wanted} for this call.` },
  );
}

/** The model's text codec, or an `input.model` error naming what the model is instead. */
export function textCodecOf(model: ResolvedModel): TextCodec {
  if (!model.textCodec) throw wrongKind(model, "a text model");
  return model.textCodec;
}

export function embeddingCodecOf(model: ResolvedModel): EmbeddingCodec {
  if (!model.embeddingCodec) throw wrongKind(model, "an embedding model");
  return model.embeddingCodec;
}

export function imageCodecOf(model: ResolvedModel): ImageCodec {
  if (!model.imageCodec) throw wrongKind(model, "an image model");
  return model.imageCodec;
}
