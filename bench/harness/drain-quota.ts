// Empties the emulator's quota buckets before a contestant starts. The buckets start full, a
// minute's worth, and a one-minute run that starts on a full bucket measures the burst rather
// than the rate the quota allows; a long job spends nearly all its time on a bucket that its
// own calls keep empty. So the harness spends the bucket first: one request whose input is the
// whole TPM bucket (max_tokens 1), and RPM − 1 tiny requests. The drain's own requests are
// subtracted from the statistics.
import { countTokens } from "../../src/emulator/state/count-tokens.js";
import type { QuotaShape } from "./ideal-rate.js";

/** Text of exactly `tokens` tokens by the emulator's tokenizer (one token per word). */
export function textOfTokens(tokens: number): string {
  const text = "stone ".repeat(Math.max(1, tokens)).trimEnd();
  const counted = countTokens(text);
  if (counted !== Math.max(1, tokens))
    throw new Error(`the drain text counts ${counted} tokens, not ${tokens}`);
  return text;
}

// InvokeModelWithResponseStream: it draws on the same quota as every model operation, and the
// scenarios' faults are limited to InvokeModel and Converse, so the drain never gets one (and
// leaves the seeded fault sequence to the contestants). A failure is counted, not thrown.
async function invoke(endpoint: string, modelId: string, text: string): Promise<number> {
  try {
    const response = await fetch(
      `${endpoint}/model/${encodeURIComponent(modelId)}/invoke-with-response-stream`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/vnd.amazon.eventstream",
        },
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 1,
          messages: [{ role: "user", content: [{ type: "text", text }] }],
        }),
      },
    );
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/**
 * Spends the quota's buckets (RPM and TPM in force at the start) for a workload whose records
 * are charged `charge` tokens on average; returns the statuses seen.
 */
export async function drainQuota(
  endpoint: string,
  modelId: string,
  quota: QuotaShape,
  outputBurndown: number,
  charge: number,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  const count = (status: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
  };
  const small = textOfTokens(1);
  // Tiny requests first, while the token bucket still has room for them.
  // All at once: the bucket refills while they run, so the drain must be quick.
  const requests = quota.rpm === undefined ? 0 : Math.max(0, Math.floor(quota.rpm) - 1);
  const results = await Promise.all(
    Array.from({ length: requests }, () => invoke(endpoint, modelId, small)),
  );
  for (const status of results) count(status);
  // A token bucket that cannot bind (its rate allows far more than the RPM) is left alone: it
  // would take a body larger than the emulator accepts.
  const tokensCanBind =
    quota.tpm !== undefined && (quota.rpm === undefined || quota.tpm / charge < 2 * quota.rpm);
  if (quota.tpm !== undefined && tokensCanBind) {
    // What the tiny requests charged (1 input + 1 output × burndown each) is gone already.
    const left = Math.floor(quota.tpm) - requests * (1 + outputBurndown) - outputBurndown;
    if (left > 0) count(await invoke(endpoint, modelId, textOfTokens(left)));
  }
  return statuses;
}
