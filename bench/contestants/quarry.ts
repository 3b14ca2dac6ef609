// Quarry as its README shows it: one client, every call through its shared scheduler, no limits
// given (the scheduler finds the quota), the SDK's own retries off. All records are handed over
// at once; the scheduler decides how many are in flight.
import { createQuarry } from "../../src/index.js";
import { type Contestant, EMULATOR_CREDENTIALS, errorLabel } from "./contestant.js";

export const quarry: Contestant = {
  name: "quarry",
  configuration:
    "createQuarry({ endpoint, region, credentials, model }) with its default scheduler, no limits; " +
    "invoke() per record, all handed over at once; maxTokens as the scenario says (omitted = auto)",
  async run(run) {
    const client = createQuarry({
      endpoint: run.endpoint,
      region: run.region,
      credentials: EMULATOR_CREDENTIALS,
      model: run.modelId,
      signal: run.signal,
    });
    try {
      await Promise.all(
        run.items.map(async (item) => {
          try {
            const outcome = await client.invoke({
              prompt: item.prompt,
              recordId: item.id,
              ...(run.quarryMaxTokens === "auto" ? {} : { maxTokens: run.quarryMaxTokens }),
            });
            run.report({
              id: item.id,
              ok: true,
              inputTokens: outcome.usage.inputTokens,
              outputTokens: outcome.usage.outputTokens,
              stopReason: outcome.blocked ? "blocked" : outcome.stopReason,
            });
          } catch (error) {
            if (run.signal.aborted) return;
            run.report({ id: item.id, ok: false, error: errorLabel(error) });
          }
        }),
      );
    } finally {
      client.destroy();
    }
  },
};
