import { QuarryError } from "../errors/quarry-error.js";
import { lookupModel } from "./lookup-model.js";
import type { ModelInfo } from "./model-info.js";
import type { QuarryTarget } from "./quarry-options.js";

/** A target of `createQuarry`'s `targets`, checked. */
export interface ResolvedTarget {
  /** `targets[i]`, for messages. */
  readonly name: string;
  readonly region: string;
  /** The model id to call here; undefined to call the id the call names. */
  readonly model: string | undefined;
  /** The model behind `model`, looked up once. */
  readonly modelInfo: ModelInfo | undefined;
  readonly endpoint: URL | undefined;
}

/** What `resolveTargets` needs from the rest of the options. */
export interface ResolveTargetsContext {
  /** The client's default model, which must be the targets' model too. */
  readonly model: string | undefined;
  /** The top-level `region` and `endpoint`: one target's worth, refused beside `targets`. */
  readonly region: string | undefined;
  readonly endpoint: unknown;
  readonly parseEndpoint: (value: unknown, name: string) => URL | undefined;
  readonly invalid: (name: string, expected: string, given: unknown) => never;
}

const TARGET_FIELDS = ["region", "model", "endpoint"];

/** Whether a string has the shape of an AWS Region code (`us-east-1`, `ap-southeast-2`). */
export function isRegionCode(value: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value);
}

/**
 * Checks the `targets` option eagerly: each a Region with an optional model id and endpoint,
 * no two alike, and every model id naming the same base model (a cross-region profile such as
 * `us.x` or `eu.x` is another id for the same model, so its replies are the same model's; two
 * different models would make a result depend on where it happened to run).
 */
export function resolveTargets(
  value: unknown,
  context: ResolveTargetsContext,
): readonly ResolvedTarget[] {
  const { invalid } = context;
  if (!Array.isArray(value) || value.length === 0)
    invalid("targets", "a non-empty list of { region, model?, endpoint? }", value);
  if (context.region !== undefined)
    throw new QuarryError(
      "options.invalid",
      `Option targets replaces region: give each target its own region; got region "${context.region}" as well.`,
    );
  if (context.endpoint !== undefined)
    throw new QuarryError(
      "options.invalid",
      "Option targets replaces endpoint: give each target its own endpoint; got endpoint as well.",
    );
  // The client's own model, when given, is the reference the targets must agree with.
  const reference = context.model === undefined ? undefined : lookupOption("model", context.model);
  const targets: ResolvedTarget[] = [];
  for (const [index, item] of (value as readonly unknown[]).entries()) {
    const name = `targets[${index}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item))
      invalid(name, "an object { region, model?, endpoint? }", item);
    const unknown = Object.keys(item as object).find((key) => !TARGET_FIELDS.includes(key));
    if (unknown !== undefined)
      throw new QuarryError(
        "options.invalid",
        `Option ${name} has an unknown field "${unknown}"; a target has region, model and endpoint.`,
      );
    const target = item as QuarryTarget;
    if (typeof target.region !== "string" || !isRegionCode(target.region))
      invalid(`${name}.region`, "a Region code such as us-east-1", target.region);
    let modelInfo: ModelInfo | undefined;
    if (target.model !== undefined) {
      if (typeof target.model !== "string" || target.model.trim() === "")
        invalid(`${name}.model`, "a model id, inference profile id or ARN", target.model);
      modelInfo = lookupOption(`${name}.model`, target.model, reference);
      if (modelInfo.region !== undefined && modelInfo.region !== target.region)
        throw new QuarryError(
          "options.invalid",
          `Option ${name}.model is an ARN of ${modelInfo.region}, but ${name}.region is ${target.region}; an ARN is called in its own Region.`,
        );
    }
    targets.push({
      name,
      region: target.region,
      model: target.model,
      modelInfo,
      endpoint: context.parseEndpoint(target.endpoint, `${name}.endpoint`),
    });
  }
  checkOneModel(targets, reference, context.model);
  for (const [index, target] of targets.entries()) {
    const twin = targets.findIndex(
      (other, at) => at < index && other.region === target.region && other.model === target.model,
    );
    if (twin >= 0)
      throw new QuarryError(
        "options.invalid",
        `Option ${target.name} repeats targets[${twin}] (${target.region}, ${target.model ?? "the call's model"}): each target needs its own Region or model id.`,
      );
  }
  return targets;
}

/** All targets (and the client's model) must name one base model. */
function checkOneModel(
  targets: readonly ResolvedTarget[],
  reference: ModelInfo | undefined,
  model: string | undefined,
): void {
  let first: { readonly what: string; readonly info: ModelInfo } | undefined = reference
    ? { what: `model "${model}"`, info: reference }
    : undefined;
  for (const target of targets) {
    if (!target.modelInfo) continue;
    const what = `${target.name}.model "${target.model}"`;
    if (!first) {
      first = { what, info: target.modelInfo };
      continue;
    }
    if (target.modelInfo.baseModelId !== first.info.baseModelId)
      throw new QuarryError(
        "options.targets",
        `Option targets must all call the same model: ${first.what} is ${first.info.baseModelId}, but ${what} is ${target.modelInfo.baseModelId}.`,
        {
          hint: "Spread one model over Regions or inference profiles (us., eu., global. ids of the same model); use another client for another model.",
        },
      );
  }
}

/**
 * Looks a model id of the options up, naming the option in the error. An ARN that hides its
 * model (an application profile) is taken to hide the client's model.
 */
function lookupOption(name: string, id: string, reference?: ModelInfo): ModelInfo {
  try {
    return lookupModel(id);
  } catch (error) {
    if (reference && id.startsWith("arn:")) {
      try {
        return lookupModel(id, { baseModelId: reference.baseModelId });
      } catch {
        // Report the first failure: it says what the id lacks.
      }
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new QuarryError("options.invalid", `Option ${name}: ${message}`, {
      model: id,
      cause: error,
      ...(error instanceof QuarryError && error.hint ? { hint: error.hint } : {}),
    });
  }
}
