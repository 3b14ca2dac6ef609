// Request bodies for the emulator benchmark: the state-flowers prompt of the example job,
// rendered for a rotation of states, as a Claude Messages InvokeModel body (the format of
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html).

export const BENCH_MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0";

const STATES = [
  "Alabama",
  "Alaska",
  "Arizona",
  "Arkansas",
  "California",
  "Colorado",
  "Connecticut",
  "Delaware",
  "Florida",
  "Georgia",
  "Hawaii",
  "Idaho",
  "Illinois",
  "Indiana",
  "Iowa",
  "Kansas",
];

function prompt(state: string): string {
  return (
    "Act as a flower expert. I need you to give me information on the state flower of " +
    `${state}. The response should be in json and in this format:\n\n{\n"state": "state_name",\n` +
    `"flower": "flower_name",\n"color": "flower_color"\n}\n\nDo not give any additional ` +
    "information even if I am wrong."
  );
}

/** One JSON body per state, encoded once so that the load generator spends nothing on them. */
export const CLAUDE_BODIES: readonly Buffer[] = STATES.map((state) =>
  Buffer.from(
    JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 300,
      temperature: 0.2,
      system: "You are a concise botanist who answers in JSON.",
      messages: [{ role: "user", content: [{ type: "text", text: prompt(state) }] }],
    }),
  ),
);
