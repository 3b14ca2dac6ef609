import { isRegionCode } from "../client/resolve-targets.js";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.js";

/** One Region (or inference profile) a job's records may run in. */
export interface JobTarget {
  readonly region: string;
  /** The model id to call there: the target's own, else the job's `model`. */
  readonly model: string;
  /** Another endpoint for this Region (an emulator). @default the Region's AWS endpoint */
  readonly endpoint?: string;
}

/** A target as the job file gives it: a Region, or `{ region, model?, endpoint? }`. */
export type JobTargetInput =
  | string
  | { readonly region: string; readonly model?: string; readonly endpoint?: string };

/** A problem with the targets, at a field path such as `targets.1.model`. */
export interface TargetProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Checks and fills a job's `targets`: a bare Region reuses the job's model; every target must
 * call the job's model (its base model: `us.x` in one Region and `eu.x` in another are the same
 * model, so the results do not depend on where a record ran — which is why targets are left out
 * of the job's fingerprint); no two targets alike; `region` and an endpoint URL belong on each
 * target, not beside them (`endpoint: local` starts an emulator per Region).
 */
export function resolveJobTargets(
  inputs: readonly JobTargetInput[],
  job: { readonly model: string; readonly region?: string; readonly endpoint?: string },
): { readonly targets?: readonly JobTarget[]; readonly problem?: TargetProblem } {
  if (job.region !== undefined)
    return problem(["region"], "cannot be used with targets: give each target its own region");
  if (job.endpoint !== undefined && job.endpoint !== "local")
    return problem(
      ["endpoint"],
      'cannot be a URL with targets: give each target its own endpoint (or say "local" for an emulator per Region)',
    );
  let reference: ResolvedModel | undefined;
  try {
    reference = resolveModel(job.model);
  } catch {
    // The job's model is reported on its own field, by the runner.
  }
  const targets: JobTarget[] = [];
  for (const [index, input] of inputs.entries()) {
    const target: JobTarget =
      typeof input === "string"
        ? { region: input, model: job.model }
        : {
            region: input.region,
            model: input.model ?? job.model,
            ...(input.endpoint === undefined ? {} : { endpoint: input.endpoint }),
          };
    const at = typeof input === "string" ? ["targets", index] : ["targets", index, "region"];
    if (!isRegionCode(target.region))
      return problem(
        at,
        `must be an AWS Region such as "us-west-2", got ${JSON.stringify(target.region)}`,
      );
    if (typeof input !== "string" && input.model !== undefined) {
      let model: ResolvedModel;
      try {
        model = resolveModel(input.model);
      } catch (error) {
        return problem(
          ["targets", index, "model"],
          `is not a model id Quarry can call: ${(error as Error).message}`,
        );
      }
      if (reference && model.baseModelId !== reference.baseModelId)
        return problem(
          ["targets", index, "model"],
          `${input.model} is ${model.baseModelId}, but the job's model ${job.model} is ${reference.baseModelId}: every target must call the job's model (another Region's profile of it, such as eu. for us.)`,
        );
      if (model.region !== undefined && model.region !== target.region)
        return problem(
          ["targets", index, "model"],
          `${input.model} is an ARN of ${model.region}, but the target's region is ${target.region}`,
        );
    }
    const twin = targets.findIndex(
      (other) => other.region === target.region && other.model === target.model,
    );
    if (twin >= 0)
      return problem(
        ["targets", index],
        `repeats targets.${twin} (${target.region}, ${target.model}): each target needs its own Region or model id`,
      );
    targets.push(target);
  }
  return { targets };
}

function problem(path: readonly (string | number)[], message: string): { problem: TargetProblem } {
  return { problem: { path, message } };
}
