import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { Clock } from "../clock/clock.js";
import { classifyError } from "../errors/classify-error.js";
import { QuarryError } from "../errors/quarry-error.js";
import { linkSignals } from "../resilience/link-signals.js";
import type { RequestCost } from "../resilience/rate-limiter.js";
import type {
  ScheduledCall,
  Scheduler,
  AttemptContext as SchedulerAttemptContext,
} from "../resilience/scheduler.js";
import type { CallSpec, CallTarget } from "./quarry-context.js";
import type { RegionClients } from "./region-clients.js";
import type { ResolvedTarget } from "./resolve-targets.js";
import { TargetHealth } from "./target-health.js";

/** The model of a call, as the scheduler and the error messages see it. */
export type CallModel = CallSpec<unknown>["model"];

/** One place a call may run: a target, the model called there, and the lane it is paced on. */
export interface CallRoute {
  /** `region|model|route`: quotas are per Region, model and on-demand-or-profile. */
  readonly lane: string;
  readonly target: CallTarget;
  /** The model as called there, for the error should the call fail there. */
  readonly model: CallModel;
}

/** A call to spread: the scheduler's call, attempted on the route chosen for the attempt. */
export type RoutedCall<T> = Omit<ScheduledCall<T>, "lane" | "attempt" | "signal"> & {
  attempt(context: SchedulerAttemptContext, route: CallRoute): Promise<T>;
};

/** A call between choosing a lane and being sent: it waits in that lane's queue. */
interface Waiter {
  readonly evict: AbortController;
  lane: string | undefined;
}

/** The lane of a model in a Region. */
export function laneOf(region: string, model: Pick<CallModel, "modelId" | "route">): string {
  return `${region}|${model.modelId}|${model.route}`;
}

/**
 * Maps a call's model onto the client's targets: in each target's Region, the target's own
 * model id when it names the call's model (the `eu.` profile where the call said `us.`), else
 * the call's id. Each route is a lane of the scheduler, with a limiter of its own. SDK clients
 * are made when a route is first used.
 */
export class CallRouter {
  /** Which routes are failing, shared by every call of the client. */
  readonly health: TargetHealth;
  readonly #targets: readonly ResolvedTarget[];
  readonly #clients: RegionClients;
  readonly #routes = new Map<string, readonly CallRoute[]>();
  /** The calls waiting in each lane's queue. */
  readonly #waiting = new Map<string, Set<Waiter>>();

  constructor(targets: readonly ResolvedTarget[], clients: RegionClients, clock: Clock) {
    this.#targets = targets;
    this.#clients = clients;
    this.health = new TargetHealth(clock);
  }

  /** The routes of a model, in the targets' order; fails if no target can call it. */
  routes(model: CallModel): readonly CallRoute[] {
    const key = `${model.modelId} ${model.baseModelId ?? ""}`;
    let routes = this.#routes.get(key);
    if (!routes) {
      routes = this.#build(model);
      this.#routes.set(key, routes);
    }
    return routes;
  }

  /**
   * Runs a call over several routes. At every attempt the call goes to the route where it is
   * expected to start first (by the limiters' own estimate, as the scheduler compares lanes),
   * among those `health` has not left out, and waits in that route's queue. Calls waiting on a
   * route that throttles or is taken out are taken out of its queue and placed again, so that
   * none is held back by a Region whose quota fell or that fails (nor sent there only to
   * fail). A call that is being sent is never interrupted.
   */
  async run<T>(
    scheduler: Scheduler,
    call: RoutedCall<T>,
    routes: readonly CallRoute[],
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const lanes = routes.map((route) => route.lane);
    const cost: RequestCost = {
      inputTokens: call.inputTokens,
      maxTokens: call.maxTokens === "auto" ? (call.fullMaxTokens ?? 1) : call.maxTokens,
      outputBurndown: call.outputBurndown ?? 1,
    };
    for (;;) {
      const waiter: Waiter = { evict: new AbortController(), lane: undefined };
      const evicted = waiter.evict.signal;
      // Disposable, unlike AbortSignal.any (see link-signals.ts): the caller's signal lives
      // as long as the whole run.
      const linked = linkSignals(signal, evicted);
      const router = this;
      const scheduled: ScheduledCall<T> = {
        ...call,
        // Read when the scheduler picks a lane, at every attempt: one lane, chosen here so that
        // the queue the call waits in is known.
        get lane() {
          const lane = router.#pick(scheduler, lanes, cost);
          router.#wait(waiter, lane);
          return lane;
        },
        signal: linked.signal ?? evicted,
        attempt: async (context) => {
          router.#stopWaiting(waiter);
          if (evicted.aborted) throw evicted.reason;
          const route = routes.find((candidate) => candidate.lane === context.lane) ?? routes[0]!;
          try {
            const result = await call.attempt(context, route);
            router.health.succeeded(route.lane);
            return result;
          } catch (error) {
            if (!context.signal.aborted) router.#failed(route.lane, error);
            throw error;
          }
        },
      };
      try {
        return await scheduler.run<T>(scheduled);
      } catch (error) {
        this.#stopWaiting(waiter);
        if (evicted.aborted && !signal?.aborted) continue;
        throw error;
      } finally {
        linked.dispose();
      }
    }
  }

  /** The lane, among those not left out, where a call of this cost would start first. */
  #pick(scheduler: Scheduler, lanes: readonly string[], cost: RequestCost): string {
    const available = this.health.available(lanes);
    let best = available[0]!;
    let bestDelay = Number.POSITIVE_INFINITY;
    for (const lane of available) {
      const delay = scheduler.limiter(lane).expectedDelay(cost);
      if (delay < bestDelay) {
        best = lane;
        bestDelay = delay;
      }
    }
    this.health.picked(best);
    return best;
  }

  #wait(waiter: Waiter, lane: string): void {
    this.#stopWaiting(waiter);
    let queue = this.#waiting.get(lane);
    if (!queue) {
      queue = new Set();
      this.#waiting.set(lane, queue);
    }
    queue.add(waiter);
    waiter.lane = lane;
  }

  #stopWaiting(waiter: Waiter): void {
    if (waiter.lane === undefined) return;
    this.#waiting.get(waiter.lane)?.delete(waiter);
    waiter.lane = undefined;
  }

  /** A throttle (its limiter slowed down) or a lane taken out: its queue is placed again. */
  #failed(lane: string, error: unknown): void {
    const { kind } = classifyError(error);
    const tookOut = this.health.failed(lane, kind);
    if (tookOut || kind === "throttled" || kind === "quota-exhausted") this.#evict(lane);
  }

  #evict(lane: string): void {
    const queue = this.#waiting.get(lane);
    if (!queue || queue.size === 0) return;
    const evicted = [...queue];
    queue.clear();
    for (const waiter of evicted) {
      waiter.lane = undefined;
      waiter.evict.abort(new Error(`lane ${lane} slowed down or was taken out`));
    }
  }

  #build(model: CallModel): readonly CallRoute[] {
    const routes: CallRoute[] = [];
    for (const target of this.#targets) {
      const own = target.modelInfo;
      const called: CallModel =
        own && model.baseModelId !== undefined && own.baseModelId === model.baseModelId
          ? own
          : model;
      // An ARN is called in its own Region only.
      if (called.region !== undefined && called.region !== target.region) continue;
      const lane = laneOf(target.region, called);
      if (routes.some((route) => route.lane === lane)) continue;
      routes.push({ lane, target: this.#callTarget(target, called.modelId), model: called });
    }
    if (routes.length === 0)
      throw new QuarryError(
        "input.model",
        `${model.modelId} is an ARN of ${model.region}, but no target is in that Region (targets: ${this.#targets.map((target) => target.region).join(", ")}).`,
        {
          model: model.modelId,
          hint: "Add a target in that Region, or call a model id the targets' Regions serve.",
        },
      );
    return routes;
  }

  #callTarget(target: ResolvedTarget, modelId: string): CallTarget {
    const clients = this.#clients;
    let client: BedrockRuntimeClient | undefined;
    return {
      region: target.region,
      modelId,
      get client() {
        client ??= clients.get(target.region, target.endpoint);
        return client;
      },
    };
  }
}
