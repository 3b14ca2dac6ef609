import type { Clock } from "../../clock/clock.js";
import { QuarryError } from "../../errors/quarry-error.js";
import { BUILTIN_MODELS } from "../catalog/builtin-models.js";
import type { CatalogModel } from "../catalog/catalog-model.js";
import { ModelCatalog } from "../catalog/model-catalog.js";
import type { EmulatorConfig, EmulatorConfigInput } from "../config/emulator-config.js";
import { mergeEmulatorConfig } from "../config/parse-emulator-config.js";
import { scriptedStagesFor } from "../responders/scripted-stage.js";
import { structuredOutputStage } from "../responders/structured-output-stage.js";
import {
  type ResponderStage,
  syntheticStage,
  TextResponder,
} from "../responders/text-responder.js";
import { toolUseStage } from "../responders/tool-use-stage.js";
import { EmulatorStats } from "./emulator-stats.js";
import { checkFaultRates, FaultPlan } from "./fault-plan.js";
import { LatencyModel } from "./latency-model.js";
import { PromptCache } from "./prompt-cache.js";
import { QuotaLedger } from "./quota-ledger.js";
import { RequestLog } from "./request-log.js";
import { SeededRandom } from "./seeded-random.js";

/**
 * Builds the responder stages for a configuration. Stages that need files (scripted replies)
 * are loaded at start-up and on reconfiguration by whoever owns them; by default only the
 * synthetic stage runs.
 */
export type StageFactory = (config: EmulatorConfig) => readonly ResponderStage[];

/** Everything an operation needs: configuration, clock, catalog and the simulated service. */
export class EmulatorState {
  config: EmulatorConfig;
  readonly clock: Clock;
  catalog: ModelCatalog;
  readonly quotas: QuotaLedger;
  latency: LatencyModel;
  faults: FaultPlan;
  readonly stats: EmulatorStats;
  readonly requestLog: RequestLog;
  /** Prompt prefixes cached by cache points, per model, expiring on the clock. */
  readonly promptCache: PromptCache;
  readonly responder: TextResponder;
  readonly #stageFactory: StageFactory;
  /** Separate streams, so turning jitter on does not change which requests get faults. */
  #faultRandom: SeededRandom;
  #latencyRandom: SeededRandom;
  #requestCounter = 0;

  constructor(
    config: EmulatorConfig,
    clock: Clock,
    stageFactory: StageFactory = (next) => [
      ...scriptedStagesFor(next),
      toolUseStage,
      structuredOutputStage,
      syntheticStage,
    ],
  ) {
    this.config = config;
    this.clock = clock;
    this.#stageFactory = stageFactory;
    this.#faultRandom = new SeededRandom(config.seed);
    this.#latencyRandom = new SeededRandom(config.seed ^ 0x5bd1e995);
    this.catalog = buildCatalog(config);
    this.quotas = new QuotaLedger(clock, config.quotas);
    this.latency = new LatencyModel(config.latency, config.modelLatency, this.#latencyRandom);
    this.faults = new FaultPlan(config.faults, this.#faultRandom);
    this.stats = new EmulatorStats(clock);
    this.requestLog = new RequestLog(config.requestLog);
    this.promptCache = new PromptCache(clock);
    this.responder = new TextResponder(stageFactory(config));
  }

  /** Applies a configuration change while running; a bad change is refused whole. */
  configure(change: EmulatorConfigInput): EmulatorConfig {
    const next = mergeEmulatorConfig(this.config, change);
    // Everything that can refuse the change runs before anything is replaced.
    const catalog = buildCatalog(next);
    const stages = this.#stageFactory(next);
    checkFaultRates(next.faults);
    const reseed = next.seed !== this.config.seed;
    this.config = next;
    this.catalog = catalog;
    this.quotas.configure(next.quotas);
    this.latency.configure(next.latency, next.modelLatency);
    this.faults.configure(next.faults);
    this.responder.configure(stages);
    this.requestLog.resize(next.requestLog);
    // A new seed restarts the random streams from it, as if the emulator had started with it.
    if (reseed) this.#restartRandom();
    return next;
  }

  /**
   * Clears statistics, quota usage and the prompt cache and restarts the random streams from
   * the seed.
   */
  reset(): void {
    this.stats.reset();
    this.requestLog.clear();
    this.quotas.reset();
    this.promptCache.reset();
    this.#restartRandom();
    this.#requestCounter = 0;
  }

  #restartRandom(): void {
    this.#faultRandom = new SeededRandom(this.config.seed);
    this.#latencyRandom = new SeededRandom(this.config.seed ^ 0x5bd1e995);
    this.faults = new FaultPlan(this.config.faults, this.#faultRandom);
    this.latency = new LatencyModel(
      this.config.latency,
      this.config.modelLatency,
      this.#latencyRandom,
    );
  }

  /** A request id: sequential, so logs and cassettes line up run after run. */
  nextRequestId(): string {
    const n = ++this.#requestCounter;
    return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
  }
}

function buildCatalog(config: EmulatorConfig): ModelCatalog {
  const models = new Map<string, CatalogModel>(BUILTIN_MODELS.map((m) => [m.modelId, m]));
  for (const extra of config.models) {
    const id = String(extra.modelId ?? "");
    const base = models.get(id) ?? models.get(String(extra.like ?? ""));
    if (!id || !base) {
      throw new QuarryError(
        "emulator.config",
        `Emulator config models: entry ${JSON.stringify(id)} is not a built-in model and names no built-in model in "like"`,
        { hint: 'Give "like": "<built-in model id>" to copy its family and capabilities.' },
      );
    }
    const { like: _like, ...rest } = extra;
    models.set(id, { ...base, ...(rest as Partial<CatalogModel>), modelId: id });
  }
  return new ModelCatalog([...models.values()], {
    region: config.region,
    accountId: config.accountId,
    applicationProfiles: config.applicationProfiles,
    provisionedModels: config.provisionedModels,
    deniedModels: config.deniedModels,
  });
}
