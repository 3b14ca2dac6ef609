import type { LatencyConfig } from "../config/emulator-config.js";
import type { SeededRandom } from "./seeded-random.js";

/**
 * Time to first token plus time per output token, each scaled by a seeded jitter factor in
 * [1 - jitter, 1 + jitter]. Non-streaming replies wait for the whole generation; streams are
 * paced chunk by chunk. Per-model settings (`modelLatency`) are looked up by each of the keys
 * a call gives, in order (the id as requested, the quota key, the base model id), falling back
 * to the global setting; a per-model entry replaces the global one whole.
 */
export class LatencyModel {
  #global: LatencyConfig;
  #perModel: Readonly<Record<string, LatencyConfig>>;
  readonly #random: SeededRandom;

  constructor(
    global: LatencyConfig,
    perModel: Readonly<Record<string, LatencyConfig>>,
    random: SeededRandom,
  ) {
    this.#global = global;
    this.#perModel = perModel;
    this.#random = random;
  }

  configure(global: LatencyConfig, perModel: Readonly<Record<string, LatencyConfig>>): void {
    this.#global = global;
    this.#perModel = perModel;
  }

  #config(keys: readonly string[]): LatencyConfig {
    for (const key of keys) {
      const found = this.#perModel[key];
      if (found) return found;
    }
    return this.#global;
  }

  #jitter(config: LatencyConfig): number {
    return config.jitter > 0 ? 1 - config.jitter + 2 * config.jitter * this.#random.next() : 1;
  }

  /** Milliseconds before the first token, for a model looked up by any of `keys`. */
  firstTokenMs(keys: readonly string[]): number {
    const config = this.#config(keys);
    return config.firstTokenMs > 0 ? config.firstTokenMs * this.#jitter(config) : 0;
  }

  /**
   * Milliseconds to produce `tokens` output tokens. Stream chunks that carry no tokens take no
   * time and draw no jitter, so the jitter sequence depends only on the text produced.
   */
  outputMs(keys: readonly string[], tokens: number): number {
    const config = this.#config(keys);
    return config.perOutputTokenMs > 0 && tokens > 0
      ? config.perOutputTokenMs * tokens * this.#jitter(config)
      : 0;
  }
}
