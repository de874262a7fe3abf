import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { metrics } from "./metrics.ts";

const dashboardPath = path.resolve(import.meta.dirname, "../../../docker/grafana/parley-dashboard.json");

type TPanel = { title: string; targets?: { expr: string }[] };

/** Every sample and family name the registry exposes (histograms: the family and its _bucket/_sum/_count). */
async function exposedNames(): Promise<Set<string>> {
  const text = await metrics().registry.metrics();
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const family = /^# TYPE (\S+) /.exec(line);
    if (family) names.add(family[1]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

/** The metric names an expression reads (Parley's and prom-client's default process/nodejs ones). */
function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:parley|nodejs|process)_[a-zA-Z0-9_]+/g)].map((m) => m[0]);
}

describe("the Grafana dashboard (docker/grafana/parley-dashboard.json)", () => {
  const dashboard = JSON.parse(readFileSync(dashboardPath, "utf8")) as { panels: TPanel[] };
  const exprs = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );

  it("is valid JSON with a query on every panel", () => {
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it("reads only metrics the registry exposes", async () => {
    const names = await exposedNames();
    const unknown = exprs.flatMap(({ panel, expr }) =>
      metricNamesIn(expr)
        .filter((n) => !names.has(n))
        .map((n) => `${panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
    expect(exprs.flatMap(({ expr }) => metricNamesIn(expr)).length).toBeGreaterThan(0);
  });

  it("shows every parley_* series", async () => {
    const families = [...(await metrics().registry.getMetricsAsJSON())]
      .map((m) => m.name)
      .filter((n) => n.startsWith("parley_"));
    const shown = new Set(
      exprs.flatMap(({ expr }) => metricNamesIn(expr)).map((n) => n.replace(/_(bucket|sum|count)$/, "")),
    );
    expect(families.filter((name) => !shown.has(name))).toEqual([]);
  });
});

describe("metrics()", () => {
  it("is one registry per process, with the default process metrics (event-loop lag among them)", async () => {
    expect(metrics()).toBe(metrics());
    const names = await exposedNames();
    expect(names.has("nodejs_eventloop_lag_seconds")).toBe(true);
    expect([...names].filter((n) => !/^(parley|nodejs|process)_/.test(n))).toEqual([]);
  });

  it("reads the plain counts at scrape time", async () => {
    const { counts, registry } = metrics();
    counts.framesDelivered += 3;
    counts.rateLimitedSends += 1;
    const text = await registry.metrics();
    expect(text).toMatch(new RegExp(`^parley_frames_delivered_total ${counts.framesDelivered}$`, "m"));
    expect(text).toMatch(
      new RegExp(`^parley_rate_limited_total\\{limit="send"\\} ${counts.rateLimitedSends}$`, "m"),
    );
  });
});
