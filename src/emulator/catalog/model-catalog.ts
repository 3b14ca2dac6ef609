import { awsErrors } from "../emulator-error.js";
import type { CatalogModel } from "./catalog-model.js";

/** How a request named its model. */
export type InvocationRoute = "on-demand" | "cross-region" | "application-profile" | "provisioned";

/** A model identifier resolved to the model it runs and the quota it draws from. */
export interface ResolvedModel {
  readonly model: CatalogModel;
  /** The identifier exactly as the request gave it. */
  readonly requestedId: string;
  readonly route: InvocationRoute;
  /**
   * The quota this call draws from. Bedrock keeps on-demand and cross-region quotas apart per
   * model, so `anthropic.x` and `us.anthropic.x` are separate keys.
   */
  readonly quotaKey: string;
}

export interface ModelCatalogOptions {
  readonly region: string;
  readonly accountId: string;
  /** Application inference profiles: ARN or id → the model (or `geo.model` profile) they wrap. */
  readonly applicationProfiles?: Readonly<Record<string, string>>;
  /** Provisioned throughput: ARN or name → base model id. */
  readonly provisionedModels?: Readonly<Record<string, string>>;
  /** Base model ids the account has not been granted access to. */
  readonly deniedModels?: readonly string[];
}

const GEO_PREFIXES = new Set(["us", "eu", "apac", "global", "jp", "au", "ca", "us-gov"]);
const ARN = /^arn:aws(?:-[a-z]+)*:bedrock:([a-z0-9-]*):(\d*):([a-z-]+)\/(.+)$/;

/**
 * The emulator's own model table and identifier parser. It deliberately shares nothing with the
 * client's model resolution: a mapping bug shared by both sides would pass every test.
 */
export class ModelCatalog {
  readonly #byId = new Map<string, CatalogModel>();
  readonly #options: ModelCatalogOptions;

  constructor(models: readonly CatalogModel[], options: ModelCatalogOptions) {
    for (const model of models) this.#byId.set(model.modelId, model);
    this.#options = options;
  }

  /** Every model, in catalog order. */
  list(): CatalogModel[] {
    return [...this.#byId.values()];
  }

  /** A base model by id (or foundation-model ARN), or undefined. */
  get(modelIdOrArn: string): CatalogModel | undefined {
    const arn = ARN.exec(modelIdOrArn);
    if (arn?.[3] === "foundation-model") return this.#byId.get(arn[4]!);
    return this.#byId.get(modelIdOrArn);
  }

  /**
   * Resolves any identifier form InvokeModel accepts, or throws the error Bedrock sends:
   * ValidationException for an id it cannot parse or a profile-only model called on demand,
   * ResourceNotFoundException for an ARN naming nothing, AccessDeniedException for a model
   * without granted access.
   */
  resolve(identifier: string): ResolvedModel {
    const resolved = this.#resolve(identifier, identifier);
    if (this.#options.deniedModels?.includes(resolved.model.modelId)) {
      throw awsErrors.accessDenied(
        "You don't have access to the model with the specified model ID.",
      );
    }
    return resolved;
  }

  #resolve(identifier: string, requestedId: string): ResolvedModel {
    const arn = ARN.exec(identifier);
    if (arn) return this.#resolveArn(arn[3]!, arn[4]!, requestedId);

    const base = this.#byId.get(identifier);
    if (base) {
      if (!base.onDemand) {
        throw awsErrors.validation(
          `Invocation of model ID ${base.modelId} with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
        );
      }
      return { model: base, requestedId, route: "on-demand", quotaKey: base.modelId };
    }

    const dot = identifier.indexOf(".");
    const geo = dot > 0 ? identifier.slice(0, dot) : "";
    if (GEO_PREFIXES.has(geo)) {
      const model = this.#byId.get(identifier.slice(dot + 1));
      if (model && (model.profiles as readonly string[]).includes(geo)) {
        return { model, requestedId, route: "cross-region", quotaKey: identifier };
      }
    }

    const application = this.#options.applicationProfiles?.[identifier];
    if (application) return this.#wrap(application, requestedId, "application-profile");
    const provisioned = this.#options.provisionedModels?.[identifier];
    if (provisioned) return this.#wrap(provisioned, requestedId, "provisioned");

    throw awsErrors.validation("The provided model identifier is invalid.");
  }

  #resolveArn(resourceType: string, resource: string, requestedId: string): ResolvedModel {
    switch (resourceType) {
      case "foundation-model": {
        const model = this.#byId.get(resource);
        if (!model) throw awsErrors.validation("The provided model identifier is invalid.");
        return this.#resolve(resource, requestedId);
      }
      case "inference-profile":
        return this.#resolve(resource, requestedId);
      case "application-inference-profile": {
        const target =
          this.#options.applicationProfiles?.[requestedId] ??
          this.#options.applicationProfiles?.[resource];
        if (!target) throw this.#notFound();
        return this.#wrap(target, requestedId, "application-profile");
      }
      case "provisioned-model": {
        const target =
          this.#options.provisionedModels?.[requestedId] ??
          this.#options.provisionedModels?.[resource];
        if (!target) throw this.#notFound();
        return this.#wrap(target, requestedId, "provisioned");
      }
      default:
        throw awsErrors.validation("The provided model identifier is invalid.");
    }
  }

  #wrap(target: string, requestedId: string, route: InvocationRoute): ResolvedModel {
    // An application profile may wrap a base model or a system profile; provisioned throughput
    // has its own capacity, hence its own quota key.
    const dot = target.indexOf(".");
    const geo = dot > 0 ? target.slice(0, dot) : "";
    const model =
      this.#byId.get(target) ??
      (GEO_PREFIXES.has(geo) ? this.#byId.get(target.slice(dot + 1)) : undefined);
    if (!model) throw this.#notFound();
    const quotaKey = route === "provisioned" ? `provisioned:${requestedId}` : target;
    return { model, requestedId, route, quotaKey };
  }

  #notFound() {
    return awsErrors.resourceNotFound(
      "Could not resolve the foundation model from the provided model identifier.",
    );
  }
}
