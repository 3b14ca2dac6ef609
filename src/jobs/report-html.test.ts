import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { escapeXml, niceTicks, percentile } from "./report-charts.js";
import { renderReportHtml } from "./report-html.js";
import { failureCategory, ReportRecorder } from "./report-recorder.js";

const CHROMIUM = "/usr/bin/chromium";

function sampleReport(failures = 3) {
  const recorder = new ReportRecorder(() => 0.5);
  let at = 0;
  for (let i = 0; i < 600; i++) {
    at += 50;
    recorder.request(at);
    if (i % 50 === 0) recorder.throttled(at);
    if (i < failures)
      recorder.failed(at, {
        id: `r${i}`,
        row: i + 1,
        reason: "schema: /flower: is required <b>",
        raw: '{"state":"<x>"}',
      });
    else
      recorder.completed(at, {
        latencyMs: 300 + (i % 40) * 10,
        inputTokens: 80,
        outputTokens: 30,
        costUsd: 0.0001,
      });
  }
  recorder.totals.records = 600;
  return recorder.data({
    name: "flowers & co",
    model: "anthropic.claude-3-haiku-20240307-v1:0",
    region: "us-east-1",
    endpoint: "emulator",
    startedAt: "2026-11-22T00:00:00.000Z",
    wallMs: at,
  });
}

describe("the run report", () => {
  it("escapes everything that comes from data", () => {
    const html = renderReportHtml(sampleReport());
    expect(html).toContain("flowers &amp; co");
    expect(html).toContain("is required &lt;b&gt;");
    expect(html).not.toContain("required <b>");
    expect(html).not.toMatch(/<script/i);
  });

  it("renders in headless Chromium: every chart visible, the failures listed", {
    timeout: 60_000,
  }, async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: run scripts/install-system-deps.sh (Debian package chromium)`,
      );
    const folder = await mkdtemp(join(tmpdir(), "quarry-report-"));
    const file = join(folder, "report.html");
    await writeFile(file, renderReportHtml(sampleReport()));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(`file://${file}`);
      const charts = await page.locator("svg").all();
      expect(charts.length).toBe(3);
      for (const chart of charts) {
        const box = await chart.boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        expect(box?.height).toBeGreaterThan(100);
      }
      // The throughput chart draws a line per series and bars for throttles.
      expect(await page.locator("svg").first().locator("path").count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator("svg").nth(1).locator("rect").count()).toBeGreaterThan(5);
      expect(await page.getByText("3 record(s) failed.").count()).toBe(1);
      expect(await page.locator("table tr").count()).toBeGreaterThan(3);
      // Self-contained: nothing but the page itself is loaded.
      expect(requests.filter((url) => !url.startsWith("file://"))).toEqual([]);
      await page.screenshot({ path: join(folder, "report.png"), fullPage: true });
      expect(existsSync(join(folder, "report.png"))).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it("keeps memory bounded however many records finish", () => {
    const recorder = new ReportRecorder(() => 0.25);
    for (let i = 0; i < 50_000; i++)
      recorder.completed(i, { latencyMs: i, inputTokens: 1, outputTokens: 1, costUsd: 0 });
    for (let i = 0; i < 2_000; i++)
      recorder.failed(i, { id: String(i), row: i, reason: `schema: row ${i}` });
    const data = recorder.data({
      name: "n",
      model: "m",
      region: "r",
      endpoint: "e",
      startedAt: "",
      wallMs: 1,
    });
    expect(data.latenciesMs.length).toBe(10_000);
    expect(data.failures.length).toBe(500);
    expect(data.failuresByReason).toEqual({ schema: 2000 });
  });
});

describe("report helpers", () => {
  it("make round axis ticks, nearest-rank percentiles and grouped reasons", () => {
    expect(niceTicks(47)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(failureCategory("ThrottlingException: Gave up after 12 attempts")).toBe(
      "ThrottlingException",
    );
    expect(escapeXml(`"<&>'`)).toBe("&quot;&lt;&amp;&gt;&#39;");
  });
});
