import { stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { closestName } from "./closest-name.js";
import { type DatasetFormat, datasetFormatOf } from "./dataset-reader.js";
import { InputError, InputErrors } from "./input-error.js";
import { type JobTarget, resolveJobTargets } from "./job-targets.js";
import { type OutputFormat, outputFormatOf } from "./output-writer.js";
import { readTextFile } from "./read-text-file.js";

/** Text given inline or by a file (already resolved to an absolute path). */
export type TextSource = { readonly file: string } | { readonly text: string };

/** Known quotas of the account, so the scheduler need not discover them. */
export interface JobLimits {
  /** Requests per minute. @default discovered */
  readonly rpm?: number;
  /** Tokens per minute. @default discovered */
  readonly tpm?: number;
  /** Calls in flight at once. @default discovered */
  readonly concurrency?: number;
}

/** How the scheduler retries a failed call (it is the only retry loop). */
export interface JobRetry {
  /** Calls per record, the first included. @default the scheduler's default */
  readonly maxAttempts?: number;
  /** The first backoff's cap, in milliseconds. @default the scheduler's default */
  readonly initialDelayMs?: number;
  /** No backoff is longer than this, in milliseconds. @default the scheduler's default */
  readonly maxDelayMs?: number;
}

/** A guardrail applied to every call. */
export interface JobGuardrail {
  readonly identifier: string;
  readonly version: string;
  /** @default "disabled" */
  readonly trace?: "enabled" | "disabled" | "enabled_full";
}

/**
 * A batch job, validated, with defaults filled in and every path absolute. This is what the
 * runner takes; `loadJobSpec` builds it from a job file, `resolveJobSpec` from an object.
 */
export interface JobSpec {
  /** @default the job file's folder name for `job.yaml`, else the file's name */
  readonly name: string;
  /** The job file, when the spec came from one. */
  readonly jobFile: string | undefined;
  /** The folder relative paths were resolved against. */
  readonly baseDir: string;
  /** A model id, inference profile id or ARN, as Bedrock takes it. */
  readonly model: string;
  /** @default the AWS SDK's default (environment, profile) */
  readonly region?: string;
  /**
   * Regions (or inference profiles) to spread the records over, each paced on its own quota:
   * a Region reuses `model`; `{ region, model, endpoint }` names that Region's profile id of
   * the same model (`eu.` where `model` is `us.`) and, for an emulator, its endpoint. Replaces
   * `region`; with `endpoint: local` an emulator is started per Region. Each record is priced
   * where it ran. Not part of the fingerprint: results do not depend on where a record ran.
   * @default one Region: `region`
   */
  readonly targets?: readonly JobTarget[];
  /** The AWS shared-config profile. @default the AWS SDK's default */
  readonly profile?: string;
  /**
   * `local` starts the embedded emulator in-process; a URL points at any Bedrock-compatible
   * endpoint. @default the real AWS endpoint of the region
   */
  readonly endpoint?: string;
  /** @default "converse" */
  readonly api: "converse" | "invoke";
  /** The prompt template (a file path in the job file, or `{ text }`). */
  readonly prompt: TextSource;
  /** The system prompt, itself a template (text in the job file, or `{ file }`). */
  readonly system?: TextSource;
  /** The dataset file. */
  readonly input: string;
  /** @default from the input's extension */
  readonly inputFormat: DatasetFormat;
  /** The column that identifies a record. @default the row number */
  readonly id?: string;
  /** Only the first `rows` rows. @default all */
  readonly rows?: number;
  /** @default `results.jsonl` (for `job.yaml`) or `<job name>.results.jsonl`, beside the job */
  readonly output: string;
  /** @default from the output's extension */
  readonly outputFormat: OutputFormat;
  /** Input columns copied into each output record. @default [] */
  readonly carry: readonly string[];
  /** Output token limit per call; `auto` lets the runner size it. @default "auto" */
  readonly maxTokens: number | "auto";
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly stopSequences?: readonly string[];
  /** Converse's `additionalModelRequestFields`, passed through. */
  readonly additionalModelRequestFields?: Readonly<Record<string, unknown>>;
  /** A JSON Schema file the replies must match. */
  readonly schema?: string;
  /** How many times a reply that fails the schema is sent back with the problems. @default 2 */
  readonly repairAttempts: number;
  /**
   * `native` uses Converse's structured output, `prompt` only the prompt and the re-ask loop,
   * `auto` native where the model supports it. @default "auto"
   */
  readonly structuredOutput: "auto" | "native" | "prompt";
  /** @default {} (discovered) */
  readonly limits: JobLimits;
  /** @default {} (the scheduler's defaults) */
  readonly retry: JobRetry;
  /** Dollars: the run stops before spending more. @default no limit */
  readonly budget?: number;
  readonly guardrail?: JobGuardrail;
  /**
   * The embedded emulator's configuration when `endpoint` is `local`: a config file (relative
   * to the job) or the configuration itself; files it names are relative to the job too.
   * @default the emulator's defaults
   */
  readonly emulator?: string | Readonly<Record<string, unknown>>;
  /** Output tokens per record assumed by the estimate. @default derived from the schema, else 300 */
  readonly expectedOutputTokens?: number;
  /**
   * `auto` places prompt-cache checkpoints after the prefix every record shares (a system
   * prompt without placeholders, the prompt template's text before its first placeholder) when
   * the model caches and the prefix reaches the model's minimum; `off` sends none. Caching
   * changes the price, not the reply, so it is not part of the job's fingerprint. @default "auto"
   */
  readonly promptCaching: "auto" | "off";
}

/** Options that may be overridden from the command line (`--model`, `--rows`, `--out`...). */
export type JobOverrides = {
  readonly [K in keyof z.input<typeof jobFileSchema>]?: z.input<typeof jobFileSchema>[K];
};

const textSourceSchema = z.union([
  z.string().min(1),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ text: z.string() }),
]);

const positiveInteger = z.number().int().positive();

/** The job file's schema. Strict: an unknown field is an error (with a suggestion). */
export const jobFileSchema = z.strictObject({
  name: z.string().min(1).optional(),
  model: z.string().min(1),
  region: z.string().min(1).optional(),
  targets: z
    .array(
      z.union([
        z.string().min(1),
        z.strictObject({
          region: z.string().min(1),
          model: z.string().min(1).optional(),
          endpoint: z.string().refine(isHttpUrl).optional(),
        }),
      ]),
    )
    .min(1)
    .optional(),
  profile: z.string().min(1).optional(),
  endpoint: z
    .string()
    .refine((value) => value === "local" || isHttpUrl(value))
    .optional(),
  api: z.enum(["converse", "invoke"]).default("converse"),
  prompt: textSourceSchema,
  system: textSourceSchema.optional(),
  input: z.string().min(1),
  inputFormat: z.enum(["csv", "tsv", "jsonl", "json"]).optional(),
  id: z.string().min(1).optional(),
  rows: positiveInteger.optional(),
  output: z.string().min(1).optional(),
  outputFormat: z.enum(["jsonl", "csv", "json"]).optional(),
  carry: z.array(z.string().min(1)).default([]),
  maxTokens: z.union([positiveInteger, z.literal("auto")]).default("auto"),
  temperature: z.number().min(0).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: positiveInteger.optional(),
  stopSequences: z.array(z.string().min(1)).optional(),
  additionalModelRequestFields: z.record(z.string(), z.unknown()).optional(),
  schema: z.string().min(1).optional(),
  repairAttempts: z.number().int().min(0).max(10).default(2),
  structuredOutput: z.enum(["auto", "native", "prompt"]).default("auto"),
  limits: z
    .strictObject({
      rpm: positiveInteger.optional(),
      tpm: positiveInteger.optional(),
      concurrency: positiveInteger.optional(),
    })
    .default({}),
  retry: z
    .strictObject({
      maxAttempts: positiveInteger.optional(),
      initialDelayMs: z.number().min(0).optional(),
      maxDelayMs: z.number().min(0).optional(),
    })
    .default({}),
  budget: z.number().positive().optional(),
  guardrail: z
    .strictObject({
      identifier: z.string().min(1),
      version: z.string().min(1),
      trace: z.enum(["enabled", "disabled", "enabled_full"]).optional(),
    })
    .optional(),
  emulator: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  expectedOutputTokens: positiveInteger.optional(),
  promptCaching: z.enum(["auto", "off"]).default("auto"),
});

// What each field expects, in the words of the error message ("rows: expected ...").
const EXPECTED: Readonly<Record<string, string>> = {
  name: "a non-empty text",
  model:
    'a model id such as "anthropic.claude-3-haiku-20240307-v1:0", an inference profile or an ARN',
  region: 'an AWS region such as "us-east-1"',
  targets:
    "a list of Regions (\"us-west-2\") or { region, model?, endpoint? } (model: that Region's id of the job's model)",
  "targets.region": 'an AWS region such as "us-west-2"',
  "targets.model": "that Region's id (or profile id) of the job's model",
  "targets.endpoint": "an http(s) URL",
  profile: "the name of an AWS profile",
  endpoint: '"local" (the embedded emulator) or an http(s) URL',
  api: '"converse" or "invoke"',
  prompt: 'a template file path, { file: path } or { text: "..." }',
  system: 'the system prompt\'s text, { file: path } or { text: "..." }',
  input: "the dataset's file path (.csv, .tsv, .jsonl or .json)",
  inputFormat: '"csv", "tsv", "jsonl" or "json"',
  id: "the name of the column that identifies a record",
  rows: "a whole number ≥ 1",
  output: "the output's file path (.jsonl, .csv or .json)",
  outputFormat: '"jsonl", "csv" or "json"',
  carry: "a list of input column names",
  maxTokens: 'a whole number ≥ 1, or "auto"',
  temperature: "a number ≥ 0",
  topP: "a number above 0 and at most 1",
  topK: "a whole number ≥ 1",
  stopSequences: "a list of non-empty texts",
  additionalModelRequestFields: "an object of model-specific fields",
  schema: "a JSON Schema file path",
  repairAttempts: "a whole number from 0 to 10",
  structuredOutput: '"auto", "native" or "prompt"',
  limits: "an object with rpm, tpm and concurrency",
  "limits.rpm": "a whole number of requests per minute ≥ 1",
  "limits.tpm": "a whole number of tokens per minute ≥ 1",
  "limits.concurrency": "a whole number of calls in flight ≥ 1",
  retry: "an object with maxAttempts, initialDelayMs and maxDelayMs",
  "retry.maxAttempts": "a whole number ≥ 1",
  "retry.initialDelayMs": "a number of milliseconds ≥ 0",
  "retry.maxDelayMs": "a number of milliseconds ≥ 0",
  budget: "a number of US dollars above 0",
  guardrail: "an object with identifier and version",
  "guardrail.identifier": "the guardrail's id or ARN",
  "guardrail.version": 'the guardrail\'s version, such as "1" or "DRAFT"',
  "guardrail.trace": '"enabled", "disabled" or "enabled_full"',
  emulator: "the embedded emulator's configuration: a YAML/JSON file path or an object",
  expectedOutputTokens: "a whole number of output tokens per record ≥ 1",
  promptCaching: '"auto" (cache the prefix every record shares, where the model caches) or "off"',
};

// Fields whose values are paths, resolved against the job file's folder.
const PATH_FIELDS = ["input", "output", "schema"] as const;

/** Job file names looked for in a folder, in order. */
export const JOB_FILE_NAMES = ["job.yaml", "job.yml", "job.json"] as const;

/** Options of `loadJobSpec` and `resolveJobSpec`. */
export interface ResolveJobOptions {
  /** Applied on top of the file; their relative paths resolve against `overridesBaseDir`. */
  readonly overrides?: JobOverrides;
  /** @default process.cwd() */
  readonly overridesBaseDir?: string;
}

/**
 * Reads a job: a YAML (or JSON) file, or a folder holding `job.yaml`. Problems are
 * `input.job-spec` errors naming the file, the line and the field — an unknown field with the
 * closest valid one ("did you mean \"model\"?") — all found in one pass. Overrides (from the
 * command line) are merged on top, one level deep for `limits`, `retry` and `guardrail`.
 */
export async function loadJobSpec(
  pathOrFolder: string,
  options: ResolveJobOptions = {},
): Promise<JobSpec> {
  const jobFile = await findJobFile(resolve(pathOrFolder));
  const text = await readTextFile(jobFile, "job");
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = document.errors[0];
  if (yamlError) {
    const position = lineCounter.linePos(yamlError.pos[0]);
    throw new InputError(
      "input.job-spec",
      `the job file is not valid YAML: ${yamlError.message.split("\n")[0]}`,
      {
        file: jobFile,
        line: position.line,
      },
    );
  }
  const value: unknown = document.toJS();
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new InputError(
      "input.job-spec",
      "the job file must be a mapping of fields (model: ..., prompt: ..., input: ...)",
      { file: jobFile },
    );
  return buildSpec(value as Record<string, unknown>, {
    jobFile,
    baseDir: dirname(jobFile),
    lineOf: (path, key) => lineOf(document, lineCounter, path, key),
    ...options,
  });
}

/**
 * Validates a job given as an object (the library's `runJob`), relative paths resolving against
 * `baseDir`. Same checks and errors as a job file, without file and line.
 */
export function resolveJobSpec(
  job: Readonly<Record<string, unknown>>,
  options: ResolveJobOptions & { readonly baseDir?: string; readonly jobFile?: string } = {},
): JobSpec {
  return buildSpec(job, {
    jobFile: options.jobFile,
    baseDir: resolve(options.baseDir ?? process.cwd()),
    ...options,
  });
}

interface BuildContext extends ResolveJobOptions {
  readonly jobFile: string | undefined;
  readonly baseDir: string;
  readonly lineOf?: (path: readonly PropertyKey[], key: boolean) => number | undefined;
}

function buildSpec(raw: Readonly<Record<string, unknown>>, context: BuildContext): JobSpec {
  const { jobFile, baseDir } = context;
  const fromFile = checkFields(raw, context, "file");
  const overrides = context.overrides ?? {};
  const fromOverrides = checkFields(overrides as Record<string, unknown>, context, "override");

  // Paths are made absolute before merging, each against its own base.
  const overridesBase = resolve(context.overridesBaseDir ?? process.cwd());
  const merged: Record<string, unknown> = { ...absolutePaths(fromFile, baseDir) };
  for (const [key, value] of Object.entries(absolutePaths(fromOverrides, overridesBase))) {
    if (value === undefined) continue;
    const before = merged[key];
    merged[key] =
      (key === "limits" || key === "retry" || key === "guardrail") &&
      isPlainObject(before) &&
      isPlainObject(value)
        ? { ...before, ...value }
        : value;
  }
  const parsed = checkFields(merged, { ...context, lineOf: undefined }, "merged", true);
  const job = parsed as z.output<typeof jobFileSchema>;

  const promptSource = toTextSource(job.prompt, "file");
  const systemSource = job.system === undefined ? undefined : toTextSource(job.system, "text");
  const name =
    job.name ??
    (jobFile === undefined
      ? "job"
      : JOB_FILE_NAMES.includes(basename(jobFile) as (typeof JOB_FILE_NAMES)[number])
        ? basename(dirname(jobFile))
        : basename(jobFile, extname(jobFile)));
  const output =
    job.output ??
    join(
      baseDir,
      jobFile === undefined ||
        JOB_FILE_NAMES.includes(basename(jobFile) as (typeof JOB_FILE_NAMES)[number])
        ? "results.jsonl"
        : `${basename(jobFile, extname(jobFile))}.results.jsonl`,
    );
  const located = (field: string, error: unknown): never => {
    if (error instanceof InputError)
      throw new InputError(error.code as `input.${string}`, error.detail, {
        file: jobFile ?? error.file,
        line: context.lineOf?.([field], false),
        field,
        hint: error.hint,
      });
    throw error;
  };
  let inputFormat: DatasetFormat;
  let outputFormat: OutputFormat;
  try {
    inputFormat = datasetFormatOf(job.input, job.inputFormat);
  } catch (error) {
    return located("input", error);
  }
  try {
    outputFormat = outputFormatOf(output, job.outputFormat);
  } catch (error) {
    return located("output", error);
  }
  let targets: readonly JobTarget[] | undefined;
  if (job.targets !== undefined) {
    const checked = resolveJobTargets(job.targets, job);
    if (checked.problem) {
      const field = checked.problem.path.join(".");
      throw new InputError("input.job-spec", `${field} ${checked.problem.message}`, {
        file: jobFile,
        line: context.lineOf?.(checked.problem.path, false),
        field,
      });
    }
    targets = checked.targets;
  }
  const carry = job.carry;
  const repeated = carry.find((column, index) => carry.indexOf(column) !== index);
  if (repeated !== undefined)
    throw new InputError("input.job-spec", `carry lists "${repeated}" twice`, {
      file: jobFile,
      line: context.lineOf?.(["carry"], false),
      field: "carry",
    });

  return dropUndefined({
    name,
    jobFile,
    baseDir,
    model: job.model,
    region: job.region,
    targets,
    profile: job.profile,
    endpoint: job.endpoint,
    api: job.api,
    prompt: promptSource,
    system: systemSource,
    input: job.input,
    inputFormat,
    id: job.id,
    rows: job.rows,
    output,
    outputFormat,
    carry,
    maxTokens: job.maxTokens,
    temperature: job.temperature,
    topP: job.topP,
    topK: job.topK,
    stopSequences: job.stopSequences,
    additionalModelRequestFields: job.additionalModelRequestFields,
    schema: job.schema,
    repairAttempts: job.repairAttempts,
    structuredOutput: job.structuredOutput,
    limits: job.limits,
    retry: job.retry,
    budget: job.budget,
    guardrail: job.guardrail,
    emulator: job.emulator,
    expectedOutputTokens: job.expectedOutputTokens,
    promptCaching: job.promptCaching,
  }) as JobSpec;
}

/**
 * Validates with the strict schema. For the file and the overrides only the fields present are
 * checked (`partial`), so that a required field may come from either; the merge is checked whole.
 */
function checkFields(
  value: Readonly<Record<string, unknown>>,
  context: BuildContext,
  source: "file" | "override" | "merged",
  whole = false,
): Record<string, unknown> {
  const schema = whole ? jobFileSchema : jobFileSchema.partial();
  const result = schema.safeParse(value);
  if (result.success) return whole ? (result.data as Record<string, unknown>) : { ...value };
  const errors: InputError[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        errors.push(unknownFieldError([...issue.path, key], context, source));
      continue;
    }
    errors.push(invalidFieldError(issue.path, value, context, source));
  }
  throw errors.length === 1 ? errors[0]! : new InputErrors(errors);
}

function unknownFieldError(
  path: readonly PropertyKey[],
  context: BuildContext,
  source: "file" | "override" | "merged",
): InputError {
  const field = path.map(String).join(".");
  const key = String(path[path.length - 1]);
  const parent = path.slice(0, -1).map(String).join(".");
  const suggestion = closestName(key, fieldNames(parent));
  return new InputError(
    "input.job-spec",
    `unknown field "${field}"${source === "override" ? " in the overrides" : ""}${suggestion ? ` (did you mean "${parent ? `${parent}.` : ""}${suggestion}"?)` : ""}`,
    {
      file: source === "override" ? undefined : context.jobFile,
      line: source === "file" ? context.lineOf?.(path, true) : undefined,
      field,
      hint: `Valid fields${parent ? ` of ${parent}` : ""}: ${fieldNames(parent).join(", ")}.`,
    },
  );
}

function invalidFieldError(
  path: readonly PropertyKey[],
  value: Readonly<Record<string, unknown>>,
  context: BuildContext,
  source: "file" | "override" | "merged",
): InputError {
  const field = path.map(String).join(".");
  const given = valueAt(value, path);
  const expected =
    EXPECTED[field] ??
    EXPECTED[field.replace(/\.\d+/g, "")] ??
    EXPECTED[String(path[0])] ??
    "a valid value";
  const detail =
    given === undefined
      ? `"${field}" is required: ${expected}`
      : `${field} must be ${expected}, got ${show(given)}${source === "override" ? " (from the overrides)" : ""}`;
  return new InputError("input.job-spec", detail, {
    file: source === "override" ? undefined : context.jobFile,
    line: source === "file" ? context.lineOf?.(path, false) : undefined,
    field,
  });
}

/** Valid field names at a dotted path of the schema (for suggestions). */
function fieldNames(parent: string): string[] {
  let schema: unknown = jobFileSchema;
  for (const key of parent ? parent.split(".") : []) {
    schema = unwrap(schema);
    // A list's items (`targets.0`) are its element's fields.
    const element = (schema as { _zod?: { def?: { element?: unknown } } })._zod?.def?.element;
    schema = element !== undefined && /^\d+$/.test(key) ? element : shapeOf(schema)?.[key];
  }
  const shape = shapeOf(unwrap(schema));
  return shape ? Object.keys(shape) : [];
}

/** An object schema's fields, or those of the object among a union's options. */
function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  const node = schema as
    | { shape?: Record<string, unknown>; _zod?: { def?: { options?: unknown[] } } }
    | undefined;
  if (node?.shape) return node.shape;
  const options = node?._zod?.def?.options ?? [];
  return (
    options.find((option) => (option as { shape?: unknown }).shape) as
      | { shape?: Record<string, unknown> }
      | undefined
  )?.shape;
}

function unwrap(schema: unknown): unknown {
  let current = schema as { _zod?: { def?: { innerType?: unknown } } } | undefined;
  while (current?._zod?.def?.innerType !== undefined)
    current = current._zod.def.innerType as typeof current;
  return current;
}

async function findJobFile(path: string): Promise<string> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    throw new InputError("input.unreadable-file", "the job file or folder does not exist", {
      file: path,
      cause: error,
    });
  }
  if (!isFolder) return path;
  for (const name of JOB_FILE_NAMES) {
    const candidate = join(path, name);
    try {
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Try the next name.
    }
  }
  throw new InputError(
    "input.unreadable-file",
    `the folder holds no job file (looked for ${JOB_FILE_NAMES.join(", ")})`,
    { file: path },
  );
}

function lineOf(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  key: boolean,
): number | undefined {
  let node: unknown = document.contents;
  for (let index = 0; index < path.length; index++) {
    if (isSeq(node) && typeof path[index] === "number") {
      const item = node.items[path[index] as number] as
        | { range?: [number, number, number] }
        | undefined;
      if (index === path.length - 1 || !isMap(item))
        return item?.range ? lineCounter.linePos(item.range[0]).line : undefined;
      node = item;
      continue;
    }
    if (!isMap(node)) return undefined;
    const pair = node.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === String(path[index]),
    );
    if (!pair) return undefined;
    const last = index === path.length - 1;
    const target = last && key ? pair.key : (pair.value ?? pair.key);
    if (last || !(isMap(pair.value) || isSeq(pair.value))) {
      const range = (target as { range?: [number, number, number] } | null)?.range;
      return range ? lineCounter.linePos(range[0]).line : undefined;
    }
    node = pair.value;
  }
  return undefined;
}

function absolutePaths(fields: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...fields };
  for (const key of PATH_FIELDS)
    if (typeof out[key] === "string") out[key] = resolve(base, out[key] as string);
  if (typeof out.prompt === "string") out.prompt = { file: resolve(base, out.prompt) };
  else if (isPlainObject(out.prompt) && typeof out.prompt.file === "string")
    out.prompt = { file: resolve(base, out.prompt.file) };
  if (isPlainObject(out.system) && typeof out.system.file === "string")
    out.system = { file: resolve(base, out.system.file) };
  if (typeof out.emulator === "string") out.emulator = resolve(base, out.emulator);
  else if (isPlainObject(out.emulator)) out.emulator = emulatorPaths(out.emulator, base);
  return out;
}

/** Files an inline emulator configuration names (scripts, cassettes) are relative to the job. */
function emulatorPaths(config: Record<string, unknown>, base: string): Record<string, unknown> {
  if (!isPlainObject(config.responder)) return config;
  const responder: Record<string, unknown> = { ...config.responder };
  if (typeof responder.script === "string") responder.script = resolve(base, responder.script);
  if (isPlainObject(responder.cassette) && typeof responder.cassette.path === "string")
    responder.cassette = { ...responder.cassette, path: resolve(base, responder.cassette.path) };
  return { ...config, responder };
}

function toTextSource(
  value: string | { file: string } | { text: string },
  plain: "file" | "text",
): TextSource {
  if (typeof value === "string") return plain === "file" ? { file: value } : { text: value };
  return value;
}

/** Reads a prompt or system source's text; a file that cannot be read names the job field. */
export async function readTextSource(
  source: TextSource,
  field: string,
  signal?: AbortSignal,
): Promise<{ readonly text: string; readonly file: string | undefined }> {
  if ("text" in source) return { text: source.text, file: undefined };
  const purpose = field === "system" ? "system prompt" : "prompt template";
  return { text: await readTextFile(source.file, purpose, { field, signal }), file: source.file };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function dropUndefined<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
