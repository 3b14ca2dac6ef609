import { type JobFingerprint, jobFingerprint } from "./fingerprint.js";
import { type JobSpec, readTextSource } from "./job-spec.js";
import { loadJsonSchema } from "./load-json-schema.js";
import { PromptTemplate } from "./prompt-template.js";
import { type OutputSchema, StructuredOutput } from "./structured-output.js";

/** What a job's files hold, read and checked: everything but the dataset. */
export interface JobAssets {
  readonly template: PromptTemplate;
  readonly system?: PromptTemplate;
  /** The reply contract, when the job has a schema. */
  readonly output?: StructuredOutput;
  /** The fingerprint the journal is opened with. */
  readonly fingerprint: JobFingerprint;
}

/** Options of `loadJobAssets`. */
export interface LoadJobAssetsOptions {
  /**
   * A schema given in code (zod or JSON Schema), used instead of the spec's schema file.
   * @default the spec's `schema` file, if any
   */
  readonly schema?: OutputSchema;
  readonly signal?: AbortSignal;
}

/**
 * Reads the prompt template, the system prompt and the schema a job names, and computes the
 * job's fingerprint. Every problem is an `input.*` error naming the file and the job field:
 * a missing or unreadable template or schema, a schema that is not JSON or does not compile.
 */
export async function loadJobAssets(
  spec: JobSpec,
  options: LoadJobAssetsOptions = {},
): Promise<JobAssets> {
  const { signal } = options;
  const promptText = await readTextSource(spec.prompt, "prompt", signal);
  const template = new PromptTemplate(promptText.text, { file: promptText.file });
  const systemText = spec.system ? await readTextSource(spec.system, "system", signal) : undefined;
  const system = systemText
    ? new PromptTemplate(systemText.text, { file: systemText.file })
    : undefined;

  let output: StructuredOutput | undefined;
  if (options.schema !== undefined) output = StructuredOutput.from(options.schema);
  else if (spec.schema !== undefined)
    output = (await loadJsonSchema(spec.schema, { field: "schema", signal })).output;

  const fingerprint = jobFingerprint({
    model: spec.model,
    api: spec.api,
    template: template.text,
    system: system?.text,
    schema: output?.jsonSchema,
    options: fingerprintOptions(spec),
  });
  return { template, ...(system ? { system } : {}), ...(output ? { output } : {}), fingerprint };
}

/**
 * The spec's options that change what is asked or what is recorded — a journal started with
 * other values cannot be resumed. Limits, retries, budget, repair attempts and the output path
 * change how the job runs, not its results, and are left out.
 */
export function fingerprintOptions(spec: JobSpec): Record<string, unknown> {
  return {
    maxTokens: spec.maxTokens,
    temperature: spec.temperature,
    topP: spec.topP,
    topK: spec.topK,
    stopSequences: spec.stopSequences,
    additionalModelRequestFields: spec.additionalModelRequestFields,
    structuredOutput: spec.schema === undefined ? undefined : spec.structuredOutput,
    guardrail: spec.guardrail,
    id: spec.id,
    carry: spec.carry.length > 0 ? spec.carry : undefined,
  };
}
