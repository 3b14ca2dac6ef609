import type { Quarry } from "../client/create-quarry.js";
import type { TextCallRequest, TextOutcome } from "../client/text-call.js";
import { QuarryError } from "../errors/quarry-error.js";
import type { ContentPart, Message, Usage } from "../models/model-codec.js";
import type { JobSpec } from "./job-spec.js";
import type { JournalEntry, JournalTarget, JournalUsage } from "./journal.js";
import type { PromptCachePlan } from "./plan-prompt-cache.js";
import type { PreparedRecord } from "./prepare-record.js";
import { buildRepairPrompt, type StructuredOutput } from "./structured-output.js";

/** What sending one record needs besides the record. */
export interface CallRecordContext {
  readonly quarry: Quarry;
  readonly spec: JobSpec;
  /** The reply contract, when the job has a schema. */
  readonly output: StructuredOutput | undefined;
  /** Whether to ask Converse for native structured output (`outputConfig`). */
  readonly nativeStructuredOutput: boolean;
  /** Where to place prompt-cache checkpoints; none when undefined. */
  readonly promptCache?: PromptCachePlan;
  /** The price of a call's usage where it ran, in dollars (0 when unknown). */
  readonly costOf: (usage: JournalUsage, target?: JournalTarget) => number;
  readonly now: () => number;
  readonly signal: AbortSignal;
}

/**
 * Sends one record and turns what happens into exactly one journal entry: the parsed result, or
 * a failure with its reason and the raw reply. With a schema, a reply that is not valid JSON
 * for it is sent back with the problems, `repairAttempts` times, before the record fails.
 * Errors that are not about the record (an abort, a setup problem) are thrown, not journaled.
 */
export async function callRecord(
  record: PreparedRecord,
  context: CallRecordContext,
): Promise<JournalEntry> {
  const { spec, output, quarry } = context;
  const startedAt = context.now();
  const messages: Message[] = [
    { role: "user", content: promptContent(record.prompt, context.promptCache) },
  ];
  const usage = {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
  };
  let attemptsMade = 0;
  // Each call is priced where it ran: a job's targets may differ in price.
  let costUsd = 0;
  let target: JournalTarget | undefined;
  const base = {
    id: record.id,
    rowNumber: record.rowNumber,
    ...(record.line !== undefined ? { line: record.line } : {}),
    rowHash: record.rowHash,
    ...(record.carry ? { carry: record.carry } : {}),
  };
  const finish = (fields: Partial<JournalEntry> & Pick<JournalEntry, "state">): JournalEntry => ({
    ...base,
    ...fields,
    attemptsMade,
    finishedOn: Date.now(),
    usage: compactUsage(usage),
    costUsd: Math.round(costUsd * 1e9) / 1e9,
    ...(spec.targets && target ? { target } : {}),
    durationMs: Math.round(context.now() - startedAt),
  });

  for (let round = 0; ; round++) {
    let outcome: TextOutcome;
    let nativeObject: unknown;
    try {
      const request = requestFor(spec, record, messages, context);
      if (spec.api === "invoke") outcome = await quarry.invoke(request);
      else {
        const reply = await quarry.converse({
          ...request,
          ...(context.nativeStructuredOutput && output
            ? {
                outputSchema: {
                  schema: output.jsonSchema as Record<string, unknown>,
                  name: "record",
                },
              }
            : {}),
        });
        outcome = reply;
        nativeObject = "object" in reply ? reply.object : undefined;
      }
      attemptsMade += attemptsOf(outcome);
    } catch (error) {
      if (context.signal.aborted) throw error;
      const code = (error as { code?: unknown }).code;
      if (
        error instanceof QuarryError &&
        (code === "output.json" || code === "output.schema") &&
        output
      ) {
        // Native structured output refused by the client's own check: count it as an invalid reply.
        attemptsMade++;
        if (round < spec.repairAttempts) {
          messages.push({
            role: "user",
            content: `${error.message}\nReply again with only the JSON.`,
          });
          continue;
        }
        return finish({
          state: "failed",
          failedReason: `schema: ${error.message}`,
          errorCode: "schema",
        });
      }
      throw error;
    }
    addUsage(usage, outcome.usage);
    target = outcome.region ? { region: outcome.region, model: outcome.modelId } : undefined;
    costUsd += context.costOf(outcome.usage ?? {}, target);

    if (outcome.blocked) {
      return finish({
        state: "failed",
        failedReason: `guardrail: ${outcome.reason}`,
        errorCode: "guardrail",
        raw: outcome.output,
        stopReason: "guardrail_intervened",
      });
    }
    if (!output) {
      return finish({ state: "completed", result: outcome.text, stopReason: outcome.stopReason });
    }
    if (nativeObject !== undefined) {
      return finish({ state: "completed", result: nativeObject, stopReason: outcome.stopReason });
    }
    const parsed = output.parse(outcome.text, { stopReason: outcome.stopReason });
    if (parsed.ok) {
      return finish({ state: "completed", result: parsed.value, stopReason: outcome.stopReason });
    }
    if (round < spec.repairAttempts) {
      messages.push({ role: "assistant", content: outcome.text || "(empty reply)" });
      messages.push({
        role: "user",
        content: buildRepairPrompt(parsed, { jsonSchema: output.jsonSchema }),
      });
      continue;
    }
    return finish({
      state: "failed",
      failedReason: `${parsed.kind === "schema" ? "schema" : parsed.kind}: ${parsed.message}${parsed.hitTokenLimit ? " (the reply hit the max tokens limit; raise maxTokens)" : ""}`,
      errorCode: parsed.kind === "schema" ? "schema" : `reply.${parsed.kind}`,
      raw: parsed.raw,
      stopReason: outcome.stopReason,
    });
  }
}

/** The client request for a record at its current turn. */
function requestFor(
  spec: JobSpec,
  record: PreparedRecord,
  messages: readonly Message[],
  context: CallRecordContext,
): TextCallRequest {
  return {
    model: spec.model,
    messages: [...messages],
    ...(record.system !== undefined
      ? {
          system: context.promptCache?.afterSystem
            ? [{ type: "text", text: record.system }, { type: "cache-point" }]
            : record.system,
        }
      : {}),
    ...(spec.maxTokens !== "auto" ? { maxTokens: spec.maxTokens } : {}),
    ...(spec.temperature !== undefined ? { temperature: spec.temperature } : {}),
    ...(spec.topP !== undefined ? { topP: spec.topP } : {}),
    ...(spec.topK !== undefined ? { topK: spec.topK } : {}),
    ...(spec.stopSequences ? { stopSequences: [...spec.stopSequences] } : {}),
    ...(spec.additionalModelRequestFields
      ? { additionalFields: { ...spec.additionalModelRequestFields } }
      : {}),
    ...(spec.guardrail
      ? {
          guardrail: {
            identifier: spec.guardrail.identifier,
            version: spec.guardrail.version,
            trace: spec.guardrail.trace !== undefined && spec.guardrail.trace !== "disabled",
          },
        }
      : {}),
    recordId: record.id,
    signal: context.signal,
  } as TextCallRequest;
}

/**
 * The first user message's content: the prompt as it is, or — when the plan caches the prompt's
 * shared opening — that opening, a cache point, then the rest. The texts join back into the
 * prompt exactly, so the model reads the same words; a blank rest stays with the opening, as
 * Converse refuses blank text blocks.
 */
function promptContent(prompt: string, plan: PromptCachePlan | undefined): string | ContentPart[] {
  const prefix = plan?.promptPrefix;
  if (prefix === undefined || !prompt.startsWith(prefix)) return prompt;
  const rest = prompt.slice(prefix.length);
  if (rest.trim() === "") return [{ type: "text", text: prompt }, { type: "cache-point" }];
  return [{ type: "text", text: prefix }, { type: "cache-point" }, { type: "text", text: rest }];
}

/** Calls one outcome took (its retries included), when the client reports it. */
function attemptsOf(outcome: TextOutcome): number {
  const attempts = (outcome as { attempts?: unknown }).attempts;
  return typeof attempts === "number" && attempts > 0 ? attempts : 1;
}

function addUsage(
  total: {
    inputTokens: number;
    outputTokens: number;
    cacheReadInputTokens: number;
    cacheWriteInputTokens: number;
  },
  usage: Usage | undefined,
): void {
  if (!usage) return;
  total.inputTokens += usage.inputTokens ?? 0;
  total.outputTokens += usage.outputTokens ?? 0;
  total.cacheReadInputTokens += usage.cacheReadInputTokens ?? 0;
  total.cacheWriteInputTokens += usage.cacheWriteInputTokens ?? 0;
}

function compactUsage(usage: {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}): JournalUsage {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    ...(usage.cacheReadInputTokens ? { cacheReadInputTokens: usage.cacheReadInputTokens } : {}),
    ...(usage.cacheWriteInputTokens ? { cacheWriteInputTokens: usage.cacheWriteInputTokens } : {}),
  };
}
