/**
 * The issue's "a 100,000-message Slack import runs without blocking live traffic", measured: a
 * synthetic 100,000-message export (slack-export-fixture.ts `largeExport`) is imported through the
 * real path (upload, start, the worker's run, batches of 500) while two people keep sending — one
 * into another channel, one into the very channel being imported — in the same process, as the
 * import worker runs beside the web server. The live sends must stay fast (a latency bound, below),
 * land between the import's batches (never inside one, never colliding with an imported seq), and
 * the imported channel's log must stay gap-free. Its rate and the live latencies are printed.
 * Meanwhile the admin's view of the import (`getSlackImport`, what the settings section polls) is
 * read every 50 ms: its progress must rise monotonically, through the phases, to the total.
 */
import { randomUUID } from "node:crypto";
import { seedUser } from "@parley/db/seed";
import { expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel } from "../src/conversations.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getSlackImport } from "../src/slack-import/requests.ts";
import { runPendingSlackImports } from "../src/slack-import/run.ts";
import { newActor, testStorage, useTestDb } from "./helpers.ts";
import { largeExport, zipFiles } from "./slack-export-fixture.ts";
import { uploadAndStart } from "./slack-import-harness.ts";

const t = useTestDb();
const store = testStorage("import");

const COUNT = 100_000;
const BATCH = 500;
/**
 * The bound on a live send's p99 (send called → committed and answered) during the import. A send
 * waits for at most one batch's transaction (the conversation's row lock) plus the importer's work
 * between two yields to the event loop (one batch prepared). Measured on the shared 2-core box
 * with other test suites running: p50 10–80 ms, p99 100–480 ms, max 620 ms. The same import in
 * batches of 25,000 (a lock held, and the event loop taken, for thousands of messages at a time)
 * measured p99 6.3 s in both channels; a conversation in one transaction would be the whole
 * import (~25 s). 1.5 s sits three times above the worst busy-box figure and four times below that.
 */
const P99_BOUND_MS = 1500;

type TLiveSend = { clientMsgId: string; ms: number };

/** Sends into `conversationId()` (once it is known) every ~20 ms while `isRunning()`. */
async function keepSending(
  actor: TActor,
  conversationId: () => Promise<string | null>,
  isRunning: () => boolean,
): Promise<TLiveSend[]> {
  const sends: TLiveSend[] = [];
  let target: string | null = null;
  while (isRunning()) {
    target ??= await conversationId();
    if (target) {
      const clientMsgId = randomUUID();
      const started = performance.now();
      await sendMessage(t.db, actor, { conversationId: target, clientMsgId, body: `live ${sends.length}` });
      sends.push({ clientMsgId, ms: performance.now() - started });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return sends;
}

type TProgress = { status: string; phase: string; messages: number; totalMessages: number | null };

/** Reads the import as its admin sees it every 50 ms while `isRunning()`. */
async function watchProgress(admin: TActor, id: string, isRunning: () => boolean): Promise<TProgress[]> {
  const seen: TProgress[] = [];
  while (isRunning()) {
    const { status, phase, messages, totalMessages } = await getSlackImport(t.db, admin, { id });
    seen.push({ status, phase, messages, totalMessages });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return seen;
}

/** The phases in order ("" while queued). */
const PHASES = ["", "validating", "users", "messages", "done"];

/** The q-quantile of sorted `values`. */
const quantile = (values: number[], q: number) =>
  values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;

/** Asserts the conversation's log is seqs 1..lastSeq, each once, and each message has its created event. */
async function expectGapFreeLog(conversationId: string) {
  const { lastSeq } = await t.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
  const [log] = await t.db.$queryRaw<{ n: number; distinct: number; min: number; max: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct, min(seq) AS min, max(seq) AS max
    FROM "Event" WHERE "conversationId" = ${conversationId}::uuid`;
  expect(log).toEqual({ n: lastSeq, distinct: lastSeq, min: 1, max: lastSeq });
  const [matched] = await t.db.$queryRaw<{ messages: number; withEvent: number }[]>`
    SELECT count(*)::int AS messages, count(e.seq)::int AS "withEvent"
    FROM "Message" m LEFT JOIN "Event" e ON e."conversationId" = m."conversationId" AND e.seq = m.seq
      AND e.kind = 'message.created' AND e.payload->'message'->>'id' = m.id::text
    WHERE m."conversationId" = ${conversationId}::uuid`;
  expect(matched!.withEvent).toBe(matched!.messages);
}

it("imports 100,000 messages while live sends into it and into another channel stay fast and in order", {
  timeout: 240_000,
}, async () => {
  const admin = await newActor(t.db, { role: "admin", name: "Importing Admin" });
  const alice = await newActor(t.db, { name: "Alice" });
  // U0L1 of the export is this person (matched by e-mail): a member of the imported channel from
  // its creation on, who keeps talking in it while its history is written.
  const oneRow = await seedUser(t.db, { email: "large-one@example.com", name: "Large One" });
  const one: TActor = { userId: oneRow.id, role: oneRow.role };
  const other = (await createChannel(t.db, alice, { name: "live-elsewhere" })).id;
  const zip = await zipFiles(largeExport(COUNT));

  const { id } = await uploadAndStart(t.db, store.storage, admin, zip);
  let isImporting = true;
  const importedChannel = async () => {
    const [row] = await t.db.$queryRaw<{ id: string }[]>`
      SELECT "parleyId" AS id FROM "SlackImportMapping" WHERE kind = 'conversation' AND "slackId" = 'C0BIG'`;
    return row?.id ?? null;
  };
  const elsewhere = keepSending(
    alice,
    async () => other,
    () => isImporting,
  );
  const inside = keepSending(one, importedChannel, () => isImporting);
  const progress = watchProgress(admin, id, () => isImporting);
  const started = performance.now();
  const results = await runPendingSlackImports(t.db, store.storage, { batchSize: BATCH }).finally(() => {
    isImporting = false;
  });
  const seconds = (performance.now() - started) / 1000;
  const [elsewhereSends, insideSends, seen] = await Promise.all([elsewhere, inside, progress]);
  expect(results).toMatchObject([{ id, status: "done" }]);
  const row = await getSlackImport(t.db, admin, { id });
  expect(row.summary?.messages.imported).toBe(COUNT);

  // Progress as the admin saw it: phases in order, the count never going back, the total known
  // once the export is validated, many steps between 0 and the total (written after the batches,
  // at most once a second), and at the end all of it.
  seen.push({
    status: row.status,
    phase: row.phase,
    messages: row.messages,
    totalMessages: row.totalMessages,
  });
  for (let i = 1; i < seen.length; i++) {
    const [before, now] = [seen[i - 1]!, seen[i]!];
    expect(PHASES.indexOf(now.phase), `phase ${before.phase} → ${now.phase}`).toBeGreaterThanOrEqual(
      PHASES.indexOf(before.phase),
    );
    expect(now.messages, `progress ${before.messages} → ${now.messages}`).toBeGreaterThanOrEqual(
      before.messages,
    );
  }
  for (const p of seen) {
    expect(["queued", "running", "done"], JSON.stringify(p)).toContain(p.status);
    expect(PHASES, JSON.stringify(p)).toContain(p.phase);
    if (PHASES.indexOf(p.phase) >= PHASES.indexOf("users")) expect(p.totalMessages, p.phase).toBe(COUNT);
  }
  const steps = new Set(seen.filter((p) => p.phase === "messages").map((p) => p.messages));
  const between = [...steps].filter((n) => n > 0 && n < COUNT);
  expect(between.length, `progress steps seen: ${[...steps].join(",")}`).toBeGreaterThanOrEqual(5);
  expect(seen.at(-1)).toEqual({ status: "done", phase: "done", messages: COUNT, totalMessages: COUNT });

  const big = (await importedChannel())!;
  await expectGapFreeLog(big);
  await expectGapFreeLog(other);
  // Seq order of the imported channel: Slack's time order for the import; the live sends in the
  // order they were answered, each exactly once, only ever between two batches.
  const messages = await t.db.$queryRaw<{ seq: number; clientMsgId: string; createdAt: Date }[]>`
    SELECT seq, "clientMsgId", "createdAt" FROM "Message" WHERE "conversationId" = ${big}::uuid ORDER BY seq`;
  const imported = messages.filter((m) => m.clientMsgId.startsWith("slack-import:"));
  const live = messages.filter((m) => !m.clientMsgId.startsWith("slack-import:"));
  expect(imported).toHaveLength(COUNT);
  expect(live.map((m) => m.clientMsgId)).toEqual(insideSends.map((s) => s.clientMsgId));
  for (let i = 1; i < imported.length; i++) {
    if (imported[i]!.createdAt < imported[i - 1]!.createdAt) {
      expect.fail(`imported seq ${imported[i]!.seq} is older than seq ${imported[i - 1]!.seq}`);
    }
  }
  const runs: number[] = [];
  let run = 0;
  for (const m of messages) {
    if (m.clientMsgId.startsWith("slack-import:")) run++;
    else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  }
  expect(
    runs.every((n) => n % BATCH === 0),
    `imported runs between live sends: ${runs.join(",")}`,
  ).toBe(true);
  // Interleaved, not queued behind the import: live sends landed between its batches.
  const lastImportedSeq = imported.at(-1)!.seq;
  const interleaved = live.filter((m) => m.seq < lastImportedSeq).length;
  expect(interleaved).toBeGreaterThanOrEqual(10);
  const [threads] = await t.db.$queryRaw<{ roots: number; threeReplies: number }[]>`
    SELECT count(*)::int AS roots, count(*) FILTER (WHERE "replyCount" = 3)::int AS "threeReplies"
    FROM "Message" WHERE "conversationId" = ${big}::uuid AND "replyCount" > 0`;
  expect(threads).toEqual({ roots: COUNT / 50, threeReplies: COUNT / 50 });
  expect(await t.db.message.count({ where: { conversationId: other } })).toBe(elsewhereSends.length);

  const report = (name: string, sends: TLiveSend[]) => {
    const ms = sends.map((s) => s.ms).sort((a, b) => a - b);
    return { name, n: ms.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: quantile(ms, 1) };
  };
  const figures = [report("into the imported channel", insideSends), report("elsewhere", elsewhereSends)];
  console.log(
    `Slack import: ${COUNT} messages in ${seconds.toFixed(1)} s = ${Math.round(COUNT / seconds)} msg/s ` +
      `(batches of ${BATCH}); live sends ${figures
        .map(
          (f) =>
            `${f.name}: ${f.n}, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(1)} ms`,
        )
        .join("; ")}; ${interleaved} landed between batches`,
  );
  for (const f of figures) {
    expect(f.n, f.name).toBeGreaterThanOrEqual(50);
    expect(f.p99, `p99 of live sends ${f.name}`).toBeLessThan(P99_BOUND_MS);
  }
});
