import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { recordsFromRows } from "./dataset-reader.js";
import { rowHash } from "./fingerprint.js";
import type { InputError, InputErrors } from "./input-error.js";
import { type JobSpec, loadJobSpec } from "./job-spec.js";
import { FileJournal, journalPaths } from "./journal.js";
import { loadJobAssets } from "./load-job-assets.js";
import { preflight } from "./preflight.js";
import { prepareRecord } from "./prepare-record.js";

// The seed notebook's template, verbatim.
const SEED_TEMPLATE = `Act as a flower expert. I need you to give me information on the state flower of {state_name}. The response should be in json and in this format:

{
"state": "state_name",
"flower": "flower_name",
"color": "flower_color"
}

Do not give any additional information even if I am wrong.
`;

const SCHEMA = {
  type: "object",
  properties: { state: { type: "string" }, flower: { type: "string" }, color: { type: "string" } },
  required: ["state", "flower", "color"],
};

let root: string;
let counter = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "quarry-preflight-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A job folder like examples/state-flowers: job.yaml, the seed's template, a CSV, a schema. */
async function jobFolder(csv: string, extra = ""): Promise<string> {
  const folder = join(root, `job-${++counter}`);
  await mkdir(folder, { recursive: true });
  await writeFile(
    join(folder, "job.yaml"),
    `model: anthropic.claude-3-haiku-20240307-v1:0\nprompt: prompt_template.txt\ninput: states.csv\nid: code\nschema: flower.schema.json\n${extra}`,
  );
  await writeFile(join(folder, "prompt_template.txt"), SEED_TEMPLATE);
  await writeFile(join(folder, "flower.schema.json"), JSON.stringify(SCHEMA));
  await writeFile(join(folder, "states.csv"), csv);
  return folder;
}

async function check(spec: JobSpec, journal?: FileJournal) {
  const assets = await loadJobAssets(spec);
  return preflight({
    dataset: { file: spec.input, format: spec.inputFormat, idColumn: spec.id, limit: spec.rows },
    template: assets.template,
    system: assets.system,
    carry: spec.carry,
    journal,
  });
}

const STATES = "code,state_name\nAL,Alabama\nGA,Georgia\nOH,Ohio\n";

describe("loadJobAssets", () => {
  it("reads the template, the system prompt and the schema, and fingerprints the job", async () => {
    const spec = await loadJobSpec(
      await jobFolder(STATES, "system: You are a botanist from {state_name}.\n"),
    );
    const assets = await loadJobAssets(spec);
    expect(assets.template.variables()).toEqual(["state_name"]);
    expect(assets.system?.render({ state_name: "Ohio" })).toBe("You are a botanist from Ohio.");
    expect(
      assets.output?.parse('{"state": "Ohio", "flower": "Carnation", "color": "Scarlet"}').ok,
    ).toBe(true);
    expect(assets.fingerprint).toMatchObject({
      model: "anthropic.claude-3-haiku-20240307-v1:0",
      api: "converse",
      options: { id: "code", maxTokens: "auto" },
    });
  });

  it("changes the fingerprint with the id column or the carried columns", async () => {
    const base = await loadJobAssets(await loadJobSpec(await jobFolder(STATES)));
    const carried = await loadJobAssets(
      await loadJobSpec(await jobFolder(STATES, "carry: [state_name]\n")),
    );
    expect(carried.fingerprint.options).toMatchObject({ carry: ["state_name"] });
    expect(carried.fingerprint).not.toEqual(base.fingerprint);
  });

  it("takes a zod schema from code instead of the file", async () => {
    const spec = await loadJobSpec(await jobFolder(STATES));
    const assets = await loadJobAssets(spec, { schema: z.object({ flower: z.string() }) });
    expect(assets.output?.jsonSchema).toMatchObject({ required: ["flower"] });
  });

  it("names the file and field of a missing template, a missing schema, a malformed schema", async () => {
    const folder = await jobFolder(STATES);
    await rm(join(folder, "prompt_template.txt"));
    await expect(loadJobAssets(await loadJobSpec(folder))).rejects.toMatchObject({
      code: "input.unreadable-file",
      field: "prompt",
      file: join(folder, "prompt_template.txt"),
    });
    const noSchema = await jobFolder(STATES);
    await rm(join(noSchema, "flower.schema.json"));
    await expect(loadJobAssets(await loadJobSpec(noSchema))).rejects.toMatchObject({
      code: "input.unreadable-file",
      field: "schema",
    });
    const badSchema = await jobFolder(STATES);
    await writeFile(join(badSchema, "flower.schema.json"), "{ type: object }");
    await expect(loadJobAssets(await loadJobSpec(badSchema))).rejects.toMatchObject({
      code: "input.schema-invalid",
      field: "schema",
    });
  });
});

describe("preflight", () => {
  it("reads every row and renders every prompt, counting what is to do", async () => {
    const spec = await loadJobSpec(await jobFolder(STATES));
    const summary = await check(spec);
    expect(summary).toMatchObject({ rows: 3, pending: 3, completed: 0, failed: 0 });
    expect(summary.maxPromptCharacters).toBe(
      SEED_TEMPLATE.length - "{state_name}".length + "Georgia".length,
    );
  });

  it("collects every missing variable with file, row, line and name", async () => {
    const folder = await jobFolder("code,state\nAL,Alabama\nGA,Georgia\n");
    const error = (await check(await loadJobSpec(folder)).catch((caught) => caught)) as InputErrors;
    expect(error.total).toBe(2);
    expect(
      error.errors.map((item) => [item.code, item.file, item.row, item.line, item.field]),
    ).toEqual([
      ["input.missing-variable", join(folder, "states.csv"), 1, 2, "state_name"],
      ["input.missing-variable", join(folder, "states.csv"), 2, 3, "state_name"],
    ]);
    expect(error.message).toContain('its fields are "code", "state"');
  });

  it("stops at a malformed row or a duplicate id, keeping the problems found before", async () => {
    const ragged = await jobFolder("code,state_name\nAL,Alabama\nGA\n");
    expect(await check(await loadJobSpec(ragged)).catch((caught) => caught)).toMatchObject({
      code: "input.malformed-row",
      row: 2,
      line: 3,
    });
    const duplicate = await jobFolder("code,state_name\nAL,Alabama\nAL,Alaska\n");
    expect(await check(await loadJobSpec(duplicate)).catch((caught) => caught)).toMatchObject({
      code: "input.duplicate-id",
      row: 2,
    });
  });

  it("refuses a carried column the rows lack", async () => {
    const spec = await loadJobSpec(await jobFolder(STATES, "carry: [state_nam]\n"));
    const error = (await check(spec).catch((caught) => caught)) as InputErrors;
    expect(error.total).toBe(3);
    expect(error.errors[0]).toMatchObject({
      code: "input.missing-column",
      field: "state_nam",
      row: 1,
      line: 2,
    });
    expect(error.message).toContain('did you mean "state_name"?');
  });

  it("honours rows", async () => {
    const spec = await loadJobSpec(await jobFolder(STATES, "rows: 2\n"));
    expect((await check(spec)).rows).toBe(2);
  });

  describe("on resume", () => {
    async function resumed(csvNow: string, extra = "") {
      const spec = await loadJobSpec(await jobFolder(STATES, extra));
      const assets = await loadJobAssets(spec);
      const paths = journalPaths(spec.output);
      const first = await FileJournal.open({
        path: paths.journal,
        lockPath: paths.lock,
        fingerprint: assets.fingerprint,
      });
      for (const [rowNumber, code, name] of [
        [1, "AL", "Alabama"],
        [2, "GA", "Georgia"],
      ] as const)
        first.append({
          id: code,
          rowNumber,
          state: rowNumber === 2 ? "failed" : "completed",
          rowHash: rowHash(code, { code, state_name: name }),
          attemptsMade: 1,
          finishedOn: 0,
        });
      await first.close();
      await writeFile(spec.input, csvNow);
      return { spec, paths, assets };
    }

    it("counts completed and failed rows and sends only the rest", async () => {
      const { spec, paths, assets } = await resumed(STATES);
      const journal = await FileJournal.open({
        path: paths.journal,
        lockPath: paths.lock,
        fingerprint: assets.fingerprint,
      });
      expect(await check(spec, journal)).toMatchObject({
        rows: 3,
        pending: 1,
        completed: 1,
        failed: 1,
      });
      await journal.close();
      const retry = await FileJournal.open({
        path: paths.journal,
        lockPath: paths.lock,
        fingerprint: assets.fingerprint,
        retryFailed: true,
      });
      expect(await check(spec, retry)).toMatchObject({ pending: 2, completed: 1, failed: 0 });
      await retry.close();
    });

    it("refuses a row edited since it was journaled", async () => {
      const { spec, paths, assets } = await resumed(
        "code,state_name\nAL,Alabama!\nGA,Georgia\nOH,Ohio\n",
      );
      const journal = await FileJournal.open({
        path: paths.journal,
        lockPath: paths.lock,
        fingerprint: assets.fingerprint,
      });
      const error = (await check(spec, journal).catch((caught) => caught)) as InputError;
      await journal.close();
      expect(error).toMatchObject({
        code: "input.row-changed",
        row: 1,
        line: 2,
        recordId: "AL",
        file: spec.input,
      });
    });

    it("refuses an input that lost journaled rows", async () => {
      const { spec, paths, assets } = await resumed("code,state_name\nGA,Georgia\nOH,Ohio\n");
      const journal = await FileJournal.open({
        path: paths.journal,
        lockPath: paths.lock,
        fingerprint: assets.fingerprint,
      });
      const error = (await check(spec, journal).catch((caught) => caught)) as InputError;
      await journal.close();
      expect(error).toMatchObject({ code: "input.row-changed", file: spec.input });
      expect(error.message).toContain("1 record whose row is no longer in the input");
    });
  });
});

describe("preflight of rows given in code", () => {
  it("checks records that come from an iterable", async () => {
    const spec = await loadJobSpec(await jobFolder(STATES));
    const assets = await loadJobAssets(spec);
    const rows = [{ state_name: "Ohio" }, { state: "Iowa" }];
    const error = (await preflight({
      dataset: { records: recordsFromRows(rows) },
      template: assets.template,
    }).catch((caught) => caught)) as InputError;
    expect(error).toMatchObject({
      code: "input.missing-variable",
      row: 2,
      file: undefined,
      field: "state_name",
    });
    const summary = await preflight({
      dataset: { records: recordsFromRows(rows.slice(0, 1)) },
      template: assets.template,
    });
    expect(summary).toMatchObject({ rows: 1, pending: 1 });
  });
});

describe("prepareRecord", () => {
  it("renders, carries and hashes a record", async () => {
    const spec = await loadJobSpec(await jobFolder(STATES, "carry: [state_name]\n"));
    const assets = await loadJobAssets(spec);
    const prepared = prepareRecord(
      { rowNumber: 2, line: 3, id: "GA", fields: { code: "GA", state_name: "Georgia" } },
      { file: spec.input, template: assets.template, carry: spec.carry },
    );
    expect(prepared).toEqual({
      id: "GA",
      rowNumber: 2,
      line: 3,
      rowHash: rowHash("GA", { state_name: "Georgia", code: "GA" }),
      prompt: SEED_TEMPLATE.replace("{state_name}", "Georgia"),
      carry: { state_name: "Georgia" },
      state: undefined,
    });
  });
});
