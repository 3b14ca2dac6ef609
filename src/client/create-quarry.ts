import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { QuarryError } from "../errors/quarry-error.js";
import { linkSignals } from "../resilience/link-signals.js";
import { Scheduler, type SchedulerOptions } from "../resilience/scheduler.js";
import {
  type ApplyGuardrailRequest,
  type ApplyGuardrailResult,
  applyGuardrail,
} from "./apply-guardrail.js";
import { type CallRoute, CallRouter, laneOf, type RoutedCall } from "./call-router.js";
import { type ConverseCallRequest, type ConverseOutcome, converseOnce } from "./converse.js";
import { converseStream } from "./converse-stream.js";
import { type CountTokensResult, countTokens } from "./count-tokens.js";
import { describeFailure } from "./describe-failure.js";
import { type EmbedRequest, type EmbedResult, embed } from "./embed.js";
import {
  type GenerateImageRequest,
  type GenerateImageResult,
  generateImage,
} from "./generate-image.js";
import { invoke } from "./invoke.js";
import { lookupModel } from "./lookup-model.js";
import type { ModelInfo } from "./model-info.js";
import type { CallSpec, CallTarget, QuarryContext } from "./quarry-context.js";
import {
  type QuarryOptions,
  type ResolvedQuarryOptions,
  resolveQuarryOptions,
} from "./quarry-options.js";
import type { QuarryStream } from "./quarry-stream.js";
import { RegionClients } from "./region-clients.js";
import { type RunToolsRequest, runTools, type ToolLoopOutcome } from "./run-tools.js";
import { streamInvoke } from "./stream-invoke.js";
import type { TextCallRequest, TextOutcome } from "./text-call.js";
import type { ToolSet } from "./tool-set.js";

/**
 * One entry object for Bedrock: configured once (Region, credentials, endpoint, timeouts,
 * proxy, a connection pool sized for the concurrency, the scheduler), then every call —
 * `invoke`, `stream`, `converse`, `converseStream`, the tool loop, `embed`, `generateImage`,
 * `applyGuardrail`, `countTokens` — is paced and retried by the one shared scheduler. The
 * SDK's own retries are off so that retry loops never nest.
 *
 * @example
 * const quarry = createQuarry({ region: "us-east-1", model: "us.anthropic.claude-sonnet-4-20250514-v1:0" });
 * const reply = await quarry.converse({ prompt: "Name three rivers.", maxTokens: 200 });
 * if (!reply.blocked) console.log(reply.text);
 */
export class Quarry {
  /**
   * The AWS SDK client calls are sent with (exposed for middleware and tests). Add middleware
   * before the first call: the client caches its stack per command class (`cacheMiddleware`).
   */
  readonly client: BedrockRuntimeClient;
  /** The scheduler: pass it to another `Quarry` to share lanes, limits and the retry budget. */
  readonly scheduler: Scheduler;
  readonly #context: QuarryContext;
  readonly #clients: RegionClients;

  constructor(options: QuarryOptions = {}) {
    const resolved = resolveQuarryOptions(options);
    const clock: Clock = options.clock ?? systemClock;
    this.#clients = new RegionClients(resolved, options);
    // The first target's clients are made now (and exposed); the others on first use.
    const first = resolved.targets?.[0];
    const primary = first
      ? this.#clients.get(first.region, first.endpoint)
      : this.#clients.get(resolved.region, resolved.endpoint);
    this.client = primary;
    this.scheduler =
      options.scheduler instanceof Scheduler
        ? options.scheduler
        : createScheduler((options.scheduler ?? {}) as SchedulerOptions, resolved, clock);
    const router = resolved.targets
      ? new CallRouter(resolved.targets, this.#clients, clock)
      : undefined;
    this.#context = createContext(this.client, this.scheduler, resolved, clock, router);
  }

  /** InvokeModel with the model family's own body; a guardrail's block comes back as `blocked`. */
  invoke(request: TextCallRequest): Promise<TextOutcome> {
    return invoke(this.#context, request);
  }

  /** InvokeModelWithResponseStream: iterate the parts, or `await stream.result()`. */
  stream(request: TextCallRequest): QuarryStream<TextOutcome> {
    return streamInvoke(this.#context, request);
  }

  /**
   * Converse. With `tools` as a `ToolSet` of local functions, runs the tool loop (see
   * `runTools`) and returns its steps too.
   */
  converse(request: ConverseCallRequest & { readonly tools: ToolSet }): Promise<ToolLoopOutcome>;
  converse(request: ConverseCallRequest): Promise<ConverseOutcome>;
  converse(request: ConverseCallRequest): Promise<ConverseOutcome | ToolLoopOutcome> {
    if (request?.tools !== undefined && !Array.isArray(request.tools))
      return runTools(this.#context, request as RunToolsRequest);
    return converseOnce(this.#context, request);
  }

  /** ConverseStream: iterate the parts, or `await stream.result()`. */
  converseStream(request: ConverseCallRequest): QuarryStream<TextOutcome> {
    return converseStream(this.#context, request);
  }

  /** The tool loop: runs local functions until the model answers or `maxSteps` is reached. */
  runTools(request: RunToolsRequest): Promise<ToolLoopOutcome> {
    return runTools(this.#context, request);
  }

  /** Embeddings, batched as the family allows, in input order. */
  embed(request: EmbedRequest): Promise<EmbedResult> {
    return embed(this.#context, request);
  }

  /** Images as bytes, and PNG files when `saveTo` is given. */
  generateImage(request: GenerateImageRequest): Promise<GenerateImageResult> {
    return generateImage(this.#context, request);
  }

  /** ApplyGuardrail on its own, without a model call. */
  applyGuardrail(request: ApplyGuardrailRequest): Promise<ApplyGuardrailResult> {
    return applyGuardrail(this.#context, request);
  }

  /** Input tokens by Bedrock's CountTokens, or a local estimate where the model lacks it. */
  countTokens(request: TextCallRequest): Promise<CountTokensResult> {
    return countTokens(this.#context, request);
  }

  /** The Region calls go to: the option, else the SDK's provider chain (fails with a hint if none). */
  region(): Promise<string> {
    return this.#context.region();
  }

  /** Closes the connection pools (of every target's Region). */
  destroy(): void {
    this.#clients.destroy();
  }
}

// A lane never gets more calls in flight than the socket pool can carry.
function createScheduler(
  options: SchedulerOptions,
  resolved: ResolvedQuarryOptions,
  clock: Clock,
): Scheduler {
  return new Scheduler({
    clock,
    ...options,
    adaptive: { maxConcurrency: resolved.concurrency, ...options.adaptive },
  });
}

/** Creates a `Quarry` (see the class for what it does). */
export function createQuarry(options: QuarryOptions = {}): Quarry {
  return new Quarry(options);
}

function createContext(
  client: BedrockRuntimeClient,
  scheduler: Scheduler,
  options: ResolvedQuarryOptions,
  clock: Clock,
  router: CallRouter | undefined,
): QuarryContext {
  let region: Promise<string> | undefined;
  const models = new Map<string, Promise<ModelInfo>>();
  // Where each call's latest attempt went, for describing a stream that broke after `schedule`.
  const lastRoutes = new WeakMap<CallSpec<unknown>, CallRoute>();
  const firstRegion = options.targets?.[0]?.region;
  const context: QuarryContext = {
    client,
    options,
    clock,
    region() {
      if (firstRegion !== undefined) return Promise.resolve(firstRegion);
      region ??= client.config.region().catch((error: unknown) => {
        region = undefined;
        throw new QuarryError(
          "options.region",
          "No AWS Region is configured: pass region to createQuarry, or set AWS_REGION (or a region in your AWS profile).",
          { cause: error },
        );
      });
      return region;
    },
    model(call, operation) {
      const id = call.model ?? options.model;
      if (id === undefined || id === "")
        return Promise.reject(
          new QuarryError(
            "input.model",
            `${operation} needs a model: pass model in the call, or a default model to createQuarry.`,
          ),
        );
      // Ids are few and lookups pure, so cache them; a hinted id is looked up each time.
      if (call.modelHint) return Promise.resolve().then(() => lookupModel(id, call.modelHint));
      let found = models.get(id);
      if (!found) {
        found = Promise.resolve().then(() => lookupModel(id));
        found.catch(() => models.delete(id));
        models.set(id, found);
      }
      return found;
    },
    async schedule<T>(call: CallSpec<T>): Promise<T> {
      const linked = linkSignals(call.signal, options.signal);
      const signal = linked.signal;
      const spread = router && !call.pinned ? router.routes(call.model) : undefined;
      const routes: readonly CallRoute[] = spread ?? [
        router ? firstRoute(router, call.model) : await ownRoute(call.model),
      ];
      let last = routes[0]!;
      const routed: RoutedCall<T> = {
        lengthKey: last.lane,
        inputTokens: call.inputTokens,
        maxTokens: call.maxTokens,
        fullMaxTokens: call.fullMaxTokens,
        outputBurndown: call.model.outputBurndown,
        ...(call.recordId === undefined ? {} : { recordId: call.recordId }),
        attempt: ({ attempt, maxTokens, signal: attemptSignal }, route) => {
          last = route;
          lastRoutes.set(call as CallSpec<unknown>, route);
          return call.attempt({
            attempt,
            maxTokens,
            signal: signal ? attemptSignal : undefined,
            target: route.target,
          });
        },
        usage: call.usage,
        stoppedAtMaxTokens: call.stoppedAtMaxTokens ?? (() => false),
      };
      try {
        if (router && routes.length > 1) return await router.run(scheduler, routed, routes, signal);
        return await scheduler.run<T>({
          ...routed,
          lane: last.lane,
          ...(signal ? { signal } : {}),
          attempt: (context) => routed.attempt(context, last),
        });
      } catch (error) {
        throw describeFailure(error, {
          model: last.model,
          operation: call.operation,
          region: last.target.region,
          ...(call.recordId === undefined ? {} : { recordId: call.recordId }),
          signal,
        });
      } finally {
        linked.dispose();
      }
    },
    async describe(error, call) {
      // Only whether the call was aborted matters here; no listener is needed.
      const signal = [call.signal, options.signal].find((candidate) => candidate?.aborted);
      const route = lastRoutes.get(call);
      return describeFailure(error, {
        model: route?.model ?? call.model,
        operation: call.operation,
        region:
          route?.target.region ??
          call.model.region ??
          (await context.region().catch(() => undefined)),
        ...(call.recordId === undefined ? {} : { recordId: call.recordId }),
        signal,
      });
    },
  };

  /**
   * A call that is not spread: the first target, on a lane named by the call's own route (a
   * guardrail's, CountTokens'), so that it never shares the model's limiter.
   */
  function firstRoute(router: CallRouter, model: CallSpec<unknown>["model"]): CallRoute {
    const first = router.routes(model)[0]!;
    const lane = laneOf(first.target.region, { modelId: first.target.modelId, route: model.route });
    return { ...first, lane };
  }

  /** Without targets: the client's Region (or the one an ARN names), with the call's model id. */
  async function ownRoute(model: CallSpec<unknown>["model"]): Promise<CallRoute> {
    const regionName = model.region ?? (await context.region());
    const target: CallTarget = { region: regionName, modelId: model.modelId, client };
    return { lane: laneOf(regionName, model), target, model };
  }
  return context;
}
