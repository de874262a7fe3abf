/**
 * Prints, after the run, where the browser tier's time went: each project's wall time (first
 * test's start to last test's end) and the spec files by worker time. CI's 20-minute budget is
 * spent mostly here, and a CI log has no trace viewer: this says what to cut next.
 */
import type { FullResult, Reporter, TestCase, TestResult } from "@playwright/test/reporter";

type TSpan = { start: number; end: number; worker: number; tests: number };

export default class TimingReporter implements Reporter {
  private readonly files = new Map<string, TSpan>();
  private readonly projects = new Map<string, TSpan>();

  onTestEnd(test: TestCase, result: TestResult): void {
    const start = result.startTime.getTime();
    const end = start + result.duration;
    const file = test.location.file.split("/e2e/").pop() ?? test.location.file;
    const project = test.parent.project()?.name ?? "(none)";
    for (const [map, key] of [
      [this.files, file],
      [this.projects, project],
    ] as const) {
      const span = map.get(key) ?? { start, end, worker: 0, tests: 0 };
      span.start = Math.min(span.start, start);
      span.end = Math.max(span.end, end);
      span.worker += result.duration;
      span.tests += 1;
      map.set(key, span);
    }
  }

  onEnd(_result: FullResult): void {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const lines = ["", "=== where the browser tier's time went"];
    for (const [name, span] of this.projects) {
      lines.push(
        `  project ${name}: ${s(span.end - span.start)} wall, ${s(span.worker)} of worker time, ${span.tests} tests`,
      );
    }
    lines.push("  spec files by worker time:");
    const files = [...this.files].sort((a, b) => b[1].worker - a[1].worker);
    for (const [file, span] of files)
      lines.push(`    ${s(span.worker).padStart(8)}  ${file} (${span.tests})`);
    console.log(lines.join("\n"));
  }

  printsToStdio(): boolean {
    return true;
  }
}
