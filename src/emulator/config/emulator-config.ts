import { z } from "zod";

/** A rate in [0, 1]: the probability that a request gets this fault. */
const rate = z.number().min(0).max(1).default(0);

/** Quota values; any may be left out (unlimited). */
export const quotaLimitsSchema = z.strictObject({
  /** Tokens per minute, charged `input + max_tokens × burndown` at start, refunded at the end. */
  tpm: z.number().positive().optional(),
  /** Requests per minute. */
  rpm: z.number().positive().optional(),
  /** Requests in flight at once; beyond it, 503 "Too many connections". */
  concurrency: z.number().int().positive().optional(),
  /** Tokens per day; exhausted, a ThrottlingException whose message names the day. */
  tpd: z.number().positive().optional(),
});

export const quotaSchema = quotaLimitsSchema.extend({
  /** Overrides the catalog's output burndown (5 for Claude 4-family models). */
  outputBurndown: z.number().positive().optional(),
  /** Changes to the limits at given seconds after start (or after the last reset). */
  schedule: z.array(quotaLimitsSchema.extend({ atSeconds: z.number().min(0) })).optional(),
});

export const latencySchema = z.strictObject({
  /** Time to first token (or to the whole reply's first byte), in ms. */
  firstTokenMs: z.number().min(0).default(0),
  /** Time per output token, in ms. */
  perOutputTokenMs: z.number().min(0).default(0),
  /** Relative jitter: each delay is multiplied by a seeded factor in [1 - jitter, 1 + jitter]. */
  jitter: z.number().min(0).max(1).default(0),
});

export const faultsSchema = z.strictObject({
  internalServerError: rate,
  serviceUnavailable: rate,
  modelNotReady: rate,
  modelTimeout: rate,
  /** The connection is dropped after the headers and part of the body. */
  connectionReset: rate,
  /** A stream that ends without its final event (no message_stop / messageStop / metrics). */
  streamTruncated: rate,
  /** A throttlingException event in the middle of a stream, after the 200. */
  midStreamThrottling: rate,
  /** A modelStreamErrorException event in the middle of a stream, after the 200. */
  modelStreamError: rate,
  /** The model's reply wraps its JSON in prose. */
  malformedProse: rate,
  /** The model's reply is JSON cut off part-way. */
  malformedTruncated: rate,
  /** Restricts faults to these operation names (default: all model operations). */
  operations: z.array(z.string()).optional(),
});

export const scriptRuleSchema = z.strictObject({
  /** Matches when the prompt text contains this string... */
  contains: z.string().optional(),
  /** ...or matches this regular expression (JavaScript syntax, no slashes). */
  pattern: z.string().optional(),
  /** Restricts the rule to one model id (or profile id as sent). */
  model: z.string().optional(),
  /** The reply text. `$1`-style groups from `pattern` are substituted. */
  reply: z.string().optional(),
  /** Or a JSON value, sent as its JSON text. */
  json: z.unknown().optional(),
  /** Or tool calls: the model asks for these tools with these inputs. */
  toolCalls: z.array(z.strictObject({ name: z.string(), input: z.unknown() })).optional(),
  /** The stop reason to report (default end_turn, or tool_use with toolCalls). */
  stopReason: z.string().optional(),
});

export const responderSchema = z.strictObject({
  /** Synthetic reply length in tokens when the prompt does not ask for one. */
  outputTokens: z
    .union([
      z.number().int().min(1),
      z.strictObject({ min: z.number().int().min(1), max: z.number().int().min(1) }),
    ])
    .default({ min: 20, max: 120 }),
  /** Scripted replies: a JSONL file of rules, or the rules themselves; first match wins. */
  script: z.union([z.string(), z.array(scriptRuleSchema)]).optional(),
  /** Record/replay of real Bedrock exchanges. */
  cassette: z
    .strictObject({
      mode: z.enum(["replay", "record"]),
      /** The cassette file (JSONL). */
      path: z.string(),
      /** Record mode: the real endpoint (default https://bedrock-runtime.{region}.amazonaws.com). */
      upstream: z.string().optional(),
      /** Replay mode: what to do with a request the cassette lacks. */
      onMissing: z.enum(["error", "synthesize"]).default("error"),
    })
    .optional(),
});

export const guardrailSchema = z.strictObject({
  id: z.string(),
  /** `DRAFT` or a number as a string. */
  version: z.string().default("DRAFT"),
  /** Words (case-insensitive, whole words) that block. */
  deniedWords: z.array(z.string()).default([]),
  /** Denied topics: a name and phrases that signal it. */
  deniedTopics: z
    .array(z.strictObject({ name: z.string(), phrases: z.array(z.string()) }))
    .default([]),
  /** What the caller sees instead of a blocked input. */
  blockedInputMessaging: z.string().default("Sorry, the model cannot answer this question."),
  /** What the caller sees instead of a blocked output. */
  blockedOutputsMessaging: z.string().default("Sorry, the model cannot answer this question."),
});

export const authSchema = z.strictObject({
  /** Verify SigV4 signatures against `accessKeys`; unknown keys and bad signatures get 403. */
  sigv4: z.boolean().default(false),
  /** Access key id → secret access key. */
  accessKeys: z.record(z.string(), z.string()).default({}),
  /** Accepted Bedrock API keys (bearer tokens); when set, other bearer tokens get 403. */
  bearerTokens: z.array(z.string()).default([]),
});

export const emulatorConfigSchema = z.strictObject({
  region: z.string().default("us-east-1"),
  accountId: z.string().default("123456789012"),
  /** Seeds every random choice (faults, jitter, synthetic text), so runs are reproducible. */
  seed: z.number().int().default(1),
  /** Extra catalog entries, or overrides of built-in ones (matched by modelId). */
  models: z.array(z.record(z.string(), z.unknown())).default([]),
  applicationProfiles: z.record(z.string(), z.string()).default({}),
  provisionedModels: z.record(z.string(), z.string()).default({}),
  deniedModels: z.array(z.string()).default([]),
  /** Quotas by key: a base model id, a profile id such as `us.x`, or `*` for every other key. */
  quotas: z.record(z.string(), quotaSchema).default({}),
  latency: latencySchema.default({ firstTokenMs: 0, perOutputTokenMs: 0, jitter: 0 }),
  /** Per-model latency overrides, keyed like quotas. */
  modelLatency: z.record(z.string(), latencySchema).default({}),
  faults: faultsSchema.default({
    internalServerError: 0,
    serviceUnavailable: 0,
    modelNotReady: 0,
    modelTimeout: 0,
    connectionReset: 0,
    streamTruncated: 0,
    midStreamThrottling: 0,
    modelStreamError: 0,
    malformedProse: 0,
    malformedTruncated: 0,
  }),
  responder: responderSchema.default({ outputTokens: { min: 20, max: 120 } }),
  guardrails: z.array(guardrailSchema).default([]),
  auth: authSchema.default({ sigv4: false, accessKeys: {}, bearerTokens: [] }),
  limits: z
    .strictObject({
      /** Largest request body accepted (Bedrock's Body blob limit is 25,000,000 bytes). */
      maxBodyBytes: z.number().int().positive().default(25_000_000),
    })
    .default({ maxBodyBytes: 25_000_000 }),
  /**
   * Keep the last N requests (operation, model, status, body) for `GET /_quarry/requests`: for
   * tests that must know what was sent. 0 keeps none.
   */
  requestLog: z.number().int().min(0).max(1_000_000).default(0),
  /** Knowledge bases served by bedrock-agent-runtime: id → a local folder of documents. */
  knowledgeBases: z.record(z.string(), z.string()).default({}),
});

/** The emulator's configuration, as written in a config file (every field optional). */
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;
/** The emulator's configuration with every default filled in. */
export type EmulatorConfig = z.output<typeof emulatorConfigSchema>;
export type QuotaConfig = z.output<typeof quotaSchema>;
export type LatencyConfig = z.output<typeof latencySchema>;
export type FaultsConfig = z.output<typeof faultsSchema>;
export type ScriptRule = z.output<typeof scriptRuleSchema>;
export type GuardrailConfig = z.output<typeof guardrailSchema>;
