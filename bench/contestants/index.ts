import type { Contestant } from "./contestant.js";

/** Contestants by name, each loaded only when it runs (in its own process). */
export const CONTESTANTS: Readonly<Record<string, () => Promise<Contestant>>> = {
  quarry: async () => (await import("./quarry.js")).quarry,
  "seed-loop": async () => (await import("./seed-loop.js")).seedLoop,
  "aws-sdk-adaptive": async () => (await import("./sdk-adaptive.js")).sdkAdaptive,
  "langchain-batch": async () => (await import("./langchain-batch.js")).langchainBatch,
  "vercel-ai-sdk": async () => (await import("./vercel-ai.js")).vercelAi,
};

/** Every contestant's name, Quarry first. */
export const CONTESTANT_NAMES: readonly string[] = Object.keys(CONTESTANTS);
