/**
 * `search --messages N --conversations K`: N messages (default 1,000,000) over K channels
 * (default 200; every fourth private, half of those without the searcher) seeded straight into the
 * log, then (1) the search indexer catches up from nothing — its rate, against the 1,000 msg/s
 * of sends it must keep up with — and (2) 20 representative queries (words common and rare,
 * prefixes, a phrase, an exclusion, every kind of filter, date order, filters alone) run
 * `--repeat` times each as one user, through core's searchMessages (database + core, no HTTP).
 * Prints p50/p99 over all runs and each query's median; then (3) 1,000 msg/s appended to the log
 * for 20 s with the background indexer running, and the unindexed backlog it leaves. No gateway.
 */
import { randomUUID } from "node:crypto";
import {
  indexSearchRound,
  SEARCH_MIN_GAP_MS,
  searchMessages,
  startSearchIndexer,
  type TActor,
} from "@parley/core";
import type { TOptions } from "../options.ts";
import { percentiles } from "../peer/util.ts";
import { seedUsersFast } from "../seed-fast.ts";
import { prepareDatabase } from "../setup.ts";

const USERS = 50;
const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ne",
  "ru",
  "ta",
  "vo",
  "si",
  "de",
  "pa",
  "ho",
  "gu",
  "be",
  "zi",
  "fa",
  "no",
];
const REAL = [
  "deploy",
  "release",
  "notes",
  "meeting",
  "incident",
  "review",
  "budget",
  "design",
  "customer",
  "invoice",
];

/** 3,000 words: ten real ones first (the most frequent), then pseudo-words of 2–3 syllables. */
function vocabulary(): string[] {
  const words = new Set<string>(REAL);
  for (let i = 0; words.size < 3000; i++) {
    const a = SYLLABLES[i % 16]!;
    const b = SYLLABLES[Math.floor(i / 16) % 16]!;
    const c = i >= 256 ? SYLLABLES[Math.floor(i / 256) % 16]! : "";
    words.add(`${a}${b}${c}${i >= 4096 ? i : ""}`);
  }
  return [...words];
}

// One channel's messages and their events in one statement. Words are drawn skewed towards the
// front of the vocabulary (power 1.5: the most common word in ≈ 6 % of messages, as a chat's
// most common content word might be; a long tail of rare ones); every 20th message
// has a link, every 100th mentions the searcher, every 500th is pinned, every 97th has replies.
const SEED_SQL = `
WITH ins AS (
  INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "mentionedUserIds",
    "pinnedAt", "replyCount", "createdAt")
  SELECT gen_random_uuid(), $1::uuid, g, ($2::uuid[])[1 + g % array_length($2::uuid[], 1)], 'seed-' || $1 || '-' || g,
    array_to_string(ARRAY(
      SELECT ($3::text[])[1 + floor(power(random(), 1.5) * array_length($3::text[], 1))::int]
      FROM generate_series(1, 5 + g % 17) WHERE g > 0
    ), ' ') || CASE WHEN g % 20 = 0 THEN ' https://example.com/p/' || g ELSE '' END,
    CASE WHEN g % 100 = 0 THEN ARRAY[$4::uuid] ELSE '{}'::uuid[] END,
    CASE WHEN g % 500 = 0 THEN (now() AT TIME ZONE 'UTC') END,
    CASE WHEN g % 97 = 0 THEN 1 ELSE 0 END,
    ((now() AT TIME ZONE 'UTC') - make_interval(secs => ($5::int - g) * $6::float8))::timestamp(3)
  FROM generate_series(1, $5::int) g
  RETURNING id, "conversationId", seq, "senderId", body, "createdAt"
), ev AS (
  INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
  SELECT "conversationId", seq, 'message.created', "senderId",
    jsonb_build_object('message', jsonb_build_object('id', id, 'senderId', "senderId", 'body', body)), "createdAt"
  FROM ins
  RETURNING 1
)
UPDATE "Conversation" SET "lastSeq" = (SELECT count(*) FROM ev) WHERE id = $1::uuid`;

// Live traffic for (3): `$3` messages appended to one channel as sends would leave them (seqs after
// lastSeq, a message.created event each), words drawn like the seed's.
const APPEND_SQL = `
WITH conv AS (
  UPDATE "Conversation" SET "lastSeq" = "lastSeq" + $3::int WHERE id = $1::uuid RETURNING "lastSeq" - $3::int AS base
), ins AS (
  INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "createdAt")
  SELECT gen_random_uuid(), $1::uuid, conv.base + g, ($2::uuid[])[1 + g % array_length($2::uuid[], 1)],
    'live-' || $1 || '-' || (conv.base + g),
    array_to_string(ARRAY(
      SELECT ($4::text[])[1 + floor(power(random(), 1.5) * array_length($4::text[], 1))::int]
      FROM generate_series(1, 5 + g % 17) WHERE g > 0
    ), ' '), (now() AT TIME ZONE 'UTC')::timestamp(3)
  FROM conv, generate_series(1, $3::int) g
  RETURNING id, "conversationId", seq, "senderId", body, "createdAt"
)
INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
SELECT "conversationId", seq, 'message.created', "senderId",
  jsonb_build_object('message', jsonb_build_object('id', id, 'senderId', "senderId", 'body', body)), "createdAt"
FROM ins`;

/** Messages in the log the index has not reached yet (over every conversation). */
const LAG_SQL = `SELECT COALESCE(sum(c."lastSeq" - COALESCE(sc.seq, 0)), 0)::int AS lag
  FROM "Conversation" c LEFT JOIN "SearchCursor" sc ON sc."conversationId" = c.id`;

/**
 * (3) Keeping up: `rate` messages/s appended for `seconds` (every 50 ms a batch into the channels
 * in turn) while the background indexer runs as a gateway runs it under steady sends (a round
 * every SEARCH_MIN_GAP_MS); the unindexed backlog is sampled every 100 ms. Keeping up means the
 * backlog stays near one round's worth and is gone shortly after the traffic stops.
 */
async function liveIndexing(
  db: Awaited<ReturnType<typeof prepareDatabase>>["db"],
  channels: readonly { id: string }[],
  userIds: readonly string[],
  words: readonly string[],
  rate: number,
  seconds: number,
): Promise<{ sent: number; lagP50: number; lagP99: number; lagMax: number; drainMs: number }> {
  // Under steady sends a gateway's indexer is woken by every group commit and runs a round every
  // SEARCH_MIN_GAP_MS; appends made here wake nothing, so the poll stands in at that same period.
  const stop = startSearchIndexer(db, { intervalMs: SEARCH_MIN_GAP_MS });
  const lags: number[] = [];
  const sample = async () => {
    const [row] = await db.$queryRawUnsafe<{ lag: number }[]>(LAG_SQL);
    return row?.lag ?? 0;
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      lags.push(await sample());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const perTick = Math.max(1, Math.round(rate / 20));
  const start = performance.now();
  let sent = 0;
  for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
    const channel = channels[tick % channels.length]!;
    await db.$executeRawUnsafe(APPEND_SQL, channel.id, userIds.slice(0, 10), perTick, words);
    sent += perTick;
    const next = start + ((tick + 1) * 1000) / 20;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const stoppedAt = performance.now();
  while ((await sample()) > 0 && performance.now() - stoppedAt < 30_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainMs = performance.now() - stoppedAt;
  sampling = false;
  await sampler;
  await stop();
  const d = percentiles(lags);
  return { sent, lagP50: d.p50, lagP99: d.p99, lagMax: d.max, drainMs };
}

export async function runSearch(
  o: TOptions,
  log: (line: string) => void,
  startedAt: number,
): Promise<number> {
  const { messages: n, conversations: k } = o;
  const { db } = await prepareDatabase(o, log);
  const seedStart = Date.now();
  const { userIds } = await seedUsersFast(db, USERS);
  const me = userIds[0]!;
  const names = await db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true } });
  const nameOf = new Map(names.map((u) => [u.id, u.name]));
  const words = vocabulary();
  const channels: { id: string; name: string }[] = [];
  const perChannel = Math.floor(n / k);
  // Spread over a year: the date filters cut real ranges.
  const stepS = (365 * 86_400) / perChannel;
  for (let c = 0; c < k; c++) {
    const id = randomUUID();
    const name = `search-${c}`;
    const isPrivate = c % 4 === 3;
    // Private channels alternate: with the searcher (users 0–9), without (users 10–19).
    const members = isPrivate ? userIds.slice(c % 8 === 3 ? 0 : 10, c % 8 === 3 ? 10 : 20) : userIds;
    await db.conversation.create({
      data: { id, kind: isPrivate ? "private_channel" : "public_channel", name, createdById: members[0]! },
    });
    await db.membership.createMany({
      data: members.map((userId) => ({ conversationId: id, userId })),
    });
    await db.$executeRawUnsafe(SEED_SQL, id, members, words, me, perChannel + (c < n % k ? 1 : 0), stepS);
    channels.push({ id, name });
    if ((c + 1) % 50 === 0)
      log(`seeding: ${c + 1} of ${k} channels (${((Date.now() - seedStart) / 1000).toFixed(0)}s)`);
  }
  await db.$executeRawUnsafe(`ANALYZE`);
  log(`seeded: ${n} messages over ${k} channels in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`);

  // (1) The indexer from nothing, in its default rounds.
  const indexStart = performance.now();
  let indexed = 0;
  let rounds = 0;
  for (;;) {
    const round = await indexSearchRound(db);
    if (round.conversations === 0) break;
    indexed += round.indexed;
    rounds += 1;
    if (rounds % 50 === 0)
      log(`indexing: ${indexed} messages in ${((performance.now() - indexStart) / 1000).toFixed(0)}s`);
  }
  const indexS = (performance.now() - indexStart) / 1000;
  const indexRate = indexed / indexS;
  await db.$executeRawUnsafe(`ANALYZE "MessageSearch"`);
  log(`indexed: ${indexed} messages in ${indexS.toFixed(1)}s (${indexRate.toFixed(0)}/s, ${rounds} rounds)`);

  const [share] = await db.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM "MessageSearch" WHERE tsv @@ to_tsquery('simple', $1)`,
    words[0],
  );
  log(
    `corpus: the most common word ("${words[0]}") is in ${(((share?.n ?? 0) / n) * 100).toFixed(1)} % of messages`,
  );

  // (2) Queries, as user 0.
  const actor: TActor = { userId: me, role: "member" };
  const [common, second, mid, rare] = [words[0]!, words[1]!, words[60]!, words[2500]!];
  const month = (m: number) => new Date(Date.now() - m * 30 * 86_400_000).toISOString().slice(0, 10);
  const other = nameOf.get(userIds[3]!) ?? "";
  const queries: { label: string; query: string; sort?: "date" }[] = [
    { label: "common word", query: common },
    { label: "two common words", query: `${common} ${second}` },
    { label: "mid word", query: mid },
    { label: "rare word", query: rare },
    { label: "prefix", query: words[12]!.slice(0, 3) },
    { label: "phrase", query: `"${common} ${second}"` },
    { label: "exclusion", query: `${second} -${common}` },
    { label: "in channel", query: `${mid} in:#${channels[5]?.name}` },
    { label: "in private channel", query: `${common} in:#${channels[3]?.name}` },
    { label: "from person", query: `${mid} from:@"${other}"` },
    { label: "from me", query: `${common} from:me` },
    { label: "has link", query: `${mid} has:link` },
    { label: "is thread", query: `${common} is:thread` },
    { label: "mentions me", query: `${common} mentions:me` },
    { label: "pinned", query: "is:pinned" },
    { label: "after date", query: `${mid} after:${month(1)}` },
    { label: "date range", query: `${common} after:${month(6)} before:${month(5)}` },
    { label: "by date", query: common, sort: "date" },
    { label: "filters only", query: `from:me has:link` },
    { label: "rare in channel", query: `${rare} in:#${channels[10]?.name}` },
  ];
  const samples: number[] = [];
  const medians: string[] = [];
  const genStart = process.cpuUsage();
  const wallStart = performance.now();
  for (const q of queries) {
    const times: number[] = [];
    let found = 0;
    await searchMessages(db, actor, { query: q.query, ...(q.sort ? { sort: q.sort } : {}) }); // warm
    for (let r = 0; r < o.repeat; r++) {
      const t0 = performance.now();
      const { hits } = await searchMessages(db, actor, {
        query: q.query,
        limit: 20,
        ...(q.sort ? { sort: q.sort } : {}),
      });
      times.push(performance.now() - t0);
      found = hits.length;
    }
    samples.push(...times);
    const median = percentiles(times).p50;
    medians.push(`${q.label}=${median.toFixed(1)}ms(${found})`);
    log(
      `query: ${q.label.padEnd(20)} ${JSON.stringify(q.query).padEnd(44)} median ${median.toFixed(1)} ms, ${found} hits on the first page`,
    );
  }
  const cpu = process.cpuUsage(genStart);
  const wallS = (performance.now() - wallStart) / 1000;
  const d = percentiles(samples);

  // (3) Keeping up with 1,000 msg/s of sends, live (the catch-up rate above is the capacity).
  const live = await liveIndexing(db, channels, userIds, words, 1000, 20);
  log(
    `live: ${live.sent} messages appended at 1000/s for 20 s with the background indexer running: unindexed backlog p50 ${live.lagP50.toFixed(0)}, p99 ${live.lagP99.toFixed(0)}, max ${live.lagMax.toFixed(0)} messages; caught up ${live.drainMs.toFixed(0)} ms after the traffic stopped`,
  );
  log(
    `bench: scenario=search messages=${n} conversations=${k} queries=${queries.length} repeat=${o.repeat} p50=${d.p50.toFixed(1)}ms p99=${d.p99.toFixed(1)}ms max=${d.max.toFixed(1)}ms index_rate=${indexRate.toFixed(0)}/s index_keeps_up=${(indexRate / 1000).toFixed(1)}x live_backlog_p99=${live.lagP99.toFixed(0)} live_drain_ms=${live.drainMs.toFixed(0)} gen_cpu=${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(0)}% elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  log(`per query (median): ${medians.join(" ")}`);
  return 0;
}
