/**
 * Upgrades (issue 13): a database made by the PREVIOUS RELEASE's migrations, with data in it, is
 * migrated to this checkout and still reads right; and `migrate deploy` started twice at once
 * (two replicas starting together) succeeds both times, each migration applied once.
 *
 * "Previous release" = every migration up to and including PREVIOUS_RELEASE: the schema of the
 * 2026-11-29 milestone (commit 52ef94d, "Upload limits per workspace", the last migration before
 * the 2026-12-05 work). The data below is plain SQL written against THAT schema (as that release
 * would have stored it), so the migrations since — search tables, receipts, notifications with a
 * cursor backfill, the broadcast policy, AuditLog → AuditEntry with its rows carried over, default
 * channels — all run over real rows. Move PREVIOUS_RELEASE forward when a release is cut (and
 * adapt the SQL to that release's schema).
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getHistory, getThread, listMyConversations, syncSince } from "@parley/core";
import { createDb, type TDb } from "@parley/db";
import { adminQuery, createTestDb, databaseName, quoteIdent, withDatabase } from "@parley/db/testing";
import { decodeConversationEvent } from "@parley/protocol";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PREVIOUS_RELEASE = "20261129020000_workspace_upload_limits";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const migrationsDir = path.join(root, "prisma/migrations");

/** `prisma migrate deploy` (the offline engine, as npm start and the compose `migrate` service run it). */
function migrateDeploy(url: string, config?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const args = ["scripts/prisma.mjs", "migrate", "deploy", ...(config ? ["--config", config] : [])];
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, DATABASE_URL: url } });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The shape of a database's public schema: columns, indexes, constraints, enum values. */
async function schemaOf(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ line: string }>(`
    SELECT format('column %s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default) AS line
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT format('enum %s %s', t.typname, e.enumlabel)
      FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
    UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    ORDER BY 1`);
  return rows.map((r) => r.line);
}

// Each step runs the Prisma CLI twice in parallel (~4 s of CPU each): generous timeouts for a busy box.
describe("upgrading a database", { timeout: 120_000 }, () => {
  const templateUrl = process.env.PARLEY_TEST_TEMPLATE_URL ?? "";
  let url: string;
  let client: pg.Client;
  let db: TDb | undefined;
  let work: string;
  const id = () => randomUUID();
  const alice = id();
  const bob = id();
  const carol = id();
  const channel = id();
  const dm = id();
  const root1 = id();
  const reply = id();
  const m3 = id();
  const dmMsg = id();
  const attachment = id();

  beforeAll(async () => {
    const name = `${databaseName(templateUrl)}_u${randomBytes(4).toString("hex")}`;
    await adminQuery(templateUrl, `CREATE DATABASE ${quoteIdent(name)}`);
    url = withDatabase(templateUrl, name);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    work = await mkdtemp(path.join(tmpdir(), "parley-upgrade-"));
  });

  afterAll(async () => {
    await db?.$disconnect();
    await client?.end();
    await rm(work, { recursive: true, force: true });
    // The database is named after the template: with-test-db.mjs drops it.
  });

  it("applies the previous release's migrations with two deploys at once: both succeed, each migration once", async () => {
    const names = (await readdir(migrationsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && d.name <= PREVIOUS_RELEASE)
      .map((d) => d.name);
    expect(names.at(-1)).toBe(PREVIOUS_RELEASE);
    for (const n of names)
      await cp(path.join(migrationsDir, n), path.join(work, "migrations", n), { recursive: true });
    await cp(
      path.join(migrationsDir, "migration_lock.toml"),
      path.join(work, "migrations", "migration_lock.toml"),
    );
    const config = path.join(work, "prisma.config.mjs");
    await writeFile(
      config,
      `export default ${JSON.stringify({
        schema: path.join(root, "prisma/schema.prisma"),
        migrations: { path: path.join(work, "migrations") },
        datasource: { url },
      })};\n`,
    );
    // Empty database, two deploys racing: Prisma serialises them on an advisory lock.
    const results = await Promise.all([migrateDeploy(url, config), migrateDeploy(url, config)]);
    for (const r of results) expect(r.code, r.output).toBe(0);
    const { rows } = await client.query(
      `SELECT migration_name, count(*)::int AS n, bool_and(finished_at IS NOT NULL) AS done
         FROM _prisma_migrations GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual(names.map((n) => ({ migration_name: n, n: 1, done: true })));
  });

  it("keeps that release's data through every later migration, and today's core reads it", async () => {
    // The previous release's rows, in its own schema (no membersSeq, no AuditEntry, …).
    const created = (i: number) => `'2026-11-29 10:0${i}:00'`;
    // As that release's send wrote it (core/src/messages.ts at 52ef94d): the message under `message`.
    const messagePayload = (mid: string, sender: string, body: string, extra = {}) =>
      JSON.stringify({
        message: {
          id: mid,
          senderId: sender,
          senderName: "",
          clientMsgId: `c-${mid}`,
          body,
          threadRootId: null,
          alsoInChannel: false,
          lastReplyAt: null,
          mentionedUserIds: [],
          mentionsAll: false,
          pinnedAt: null,
          pinnedById: null,
          createdAt: "2026-11-29T10:01:00.000Z",
          attachments: [],
          ...extra,
        },
      });
    await client.query(`
      INSERT INTO "Workspace" (id, name, "allowOpenSignup", "updatedAt", "maxUploadBytes", "blockedUploadTypes")
        VALUES (1, 'Old Corp', true, now(), 5000000, '["application/x-msdownload"]');
      INSERT INTO "User" (id, email, name, "passwordHash", role, "lastEventSeq", "updatedAt", "statusEmoji", "statusText", "deactivatedAt")
        VALUES ('${alice}', 'alice@old.test', 'Alice', '$argon2id$v=19$m=19456,t=2,p=1$x$y', 'owner', 1, now(), '🌴', 'away', NULL),
               ('${bob}', 'bob@old.test', 'Bob', '$argon2id$v=19$m=19456,t=2,p=1$x$y', 'member', 0, now(), '', '', NULL),
               ('${carol}', 'carol@old.test', 'Carol', '$argon2id$v=19$m=19456,t=2,p=1$x$y', 'member', 0, now(), '', '', now());
      INSERT INTO "Conversation" (id, kind, name, topic, "dmKey", "createdById", "lastSeq", "updatedAt")
        VALUES ('${channel}', 'public_channel', 'old-general', 'from before', NULL, '${alice}', 5, now()),
               ('${dm}', 'dm', NULL, '', '${[alice, bob].sort().join(",")}', '${bob}', 1, now());
      INSERT INTO "Membership" ("conversationId", "userId", role, "readSeq", muted)
        VALUES ('${channel}', '${alice}', 'owner', 5, false), ('${channel}', '${bob}', 'member', 2, true),
               ('${dm}', '${alice}', 'member', 0, false), ('${dm}', '${bob}', 'member', 1, false);
      INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "threadRootId", "replyCount", "lastReplyAt",
                             "createdAt", "alsoInChannel", "mentionedUserIds", "mentionsAll", "pinnedAt", "pinnedById", "editedAt")
        VALUES ('${root1}', '${channel}', 2, '${alice}', 'c-${root1}', 'hello <@${bob}>', NULL, 1, ${created(3)}, ${created(1)}, false, ARRAY['${bob}']::uuid[], false, ${created(4)}, '${bob}', NULL),
               ('${reply}', '${channel}', 3, '${bob}', 'c-${reply}', 'a reply', '${root1}', 0, NULL, ${created(3)}, false, ARRAY[]::uuid[], false, NULL, NULL, NULL),
               ('${m3}', '${channel}', 4, '${bob}', 'c-${m3}', 'edited <!channel>', NULL, 0, NULL, ${created(5)}, false, ARRAY[]::uuid[], true, NULL, NULL, ${created(6)}),
               ('${dmMsg}', '${dm}', 1, '${bob}', 'c-${dmMsg}', 'psst', NULL, 0, NULL, ${created(2)}, false, ARRAY[]::uuid[], false, NULL, NULL, NULL);
      INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload)
        VALUES ('${channel}', 1, 'member.joined', '${alice}', '{"userId":"${bob}","userName":"Bob"}'),
               ('${channel}', 2, 'message.created', '${alice}', '${messagePayload(root1, alice, `hello <@${bob}>`)}'),
               ('${channel}', 3, 'message.created', '${bob}', '${messagePayload(reply, bob, "a reply", { threadRootId: root1 })}'),
               ('${channel}', 4, 'message.created', '${bob}', '${messagePayload(m3, bob, "edited <!channel>")}'),
               ('${channel}', 5, 'reaction.added', '${alice}', '{"messageId":"${m3}","userId":"${alice}","emoji":"👍"}'),
               ('${dm}', 1, 'message.created', '${bob}', '${messagePayload(dmMsg, bob, "psst")}');
      INSERT INTO "Reaction" ("messageId", "userId", emoji) VALUES ('${m3}', '${alice}', '👍');
      INSERT INTO "Attachment" (id, "uploaderId", "conversationId", "messageId", "objectKey", name, mime, size, width, height,
                                "thumbnailKey", status, "durationMs", waveform)
        VALUES ('${attachment}', '${alice}', '${channel}', '${root1}', 'att/${channel}/x/photo.png', 'photo.png', 'image/png', 1234,
                40, 30, 'att/${channel}/x/photo.thumb.webp', 'ready', NULL, ARRAY[]::int[]);
      INSERT INTO "UserEvent" ("userId", seq, kind, payload) VALUES ('${alice}', 1, 'conversation.added', '{"conversationId":"${dm}"}');
      INSERT INTO "AuditLog" (id, "actorId", action, target, data, "createdAt")
        VALUES ('${id()}', '${alice}', 'workspace.setup', NULL, '{"ip":"203.0.113.7"}', ${created(0)}),
               ('${id()}', '${alice}', 'user.deactivated', '${carol}', '{}', ${created(7)});
    `);

    // Two replicas of this release start at once on that database.
    const results = await Promise.all([migrateDeploy(url), migrateDeploy(url)]);
    for (const r of results) expect(r.code, r.output).toBe(0);

    // Every migration once, and the schema is exactly a fresh install's (the test template).
    const here = (await readdir(migrationsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    const { rows: applied } = await client.query(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1",
    );
    expect(applied.map((r) => r.migration_name)).toEqual(here.sort());
    // A clone of the test template (never the template itself: a connection to it would make
    // other files' CREATE DATABASE … TEMPLATE fail).
    const fresh = await createTestDb({ poolSize: 1 });
    const freshClient = new pg.Client({ connectionString: fresh.url });
    await freshClient.connect();
    try {
      expect(await schemaOf(client)).toEqual(await schemaOf(freshClient));
    } finally {
      await freshClient.end();
      await fresh.drop();
    }

    // The rows are all there, with the new columns at their defaults and the data migrations done.
    const one = async (sql: string) => (await client.query(sql)).rows;
    expect(
      await one(
        `SELECT name, "maxUploadBytes"::text AS max, "broadcastPolicy" AS policy, "generalChannelId" FROM "Workspace"`,
      ),
    ).toEqual([{ name: "Old Corp", max: "5000000", policy: "everyone", generalChannelId: null }]);
    expect(await one(`SELECT "conversationId", seq FROM "NotifierCursor" ORDER BY seq`)).toEqual([
      { conversationId: dm, seq: 1 },
      { conversationId: channel, seq: 5 },
    ]);
    expect(
      await one(`SELECT action, "actorLabel", "targetType", "targetLabel", ip FROM "AuditEntry" ORDER BY at`),
    ).toEqual([
      {
        action: "workspace.created",
        actorLabel: "alice@old.test",
        targetType: "workspace",
        targetLabel: null,
        ip: "203.0.113.7",
      },
      {
        action: "user.deactivated",
        actorLabel: "alice@old.test",
        targetType: "user",
        targetLabel: "carol@old.test",
        ip: null,
      },
    ]);

    // Today's core reads it.
    db = createDb(url);
    const asAlice = { userId: alice, role: "owner" as const };
    const history = await getHistory(db, asAlice, { conversationId: channel });
    expect(history.messages.map((m) => [m.body, m.replyCount, m.mentionsAll, m.editedAt !== null])).toEqual([
      [`hello <@${bob}>`, 1, false, false],
      ["edited <!channel>", 0, true, true],
    ]);
    expect(history.messages[0]?.attachments.map((a) => [a.name, a.width])).toEqual([["photo.png", 40]]);
    expect(history.messages[0]?.pinnedById).toBe(bob);
    expect(history.messages[1]?.reactions).toEqual([expect.objectContaining({ emoji: "👍", count: 1 })]);
    const thread = await getThread(db, asAlice, { rootId: root1 });
    expect(JSON.stringify(thread)).toContain("a reply");
    const sidebar = await listMyConversations(db, asAlice);
    expect(sidebar.map((c) => [c.id, c.unreadCount]).sort()).toEqual(
      [
        [channel, 0],
        [dm, 1],
      ].sort(),
    );
    const synced = await syncSince(db, asAlice, { cursors: { [channel]: 0 } });
    const events = synced.conversations[0]?.events ?? [];
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const e of events) expect(decodeConversationEvent(e as never), e.kind).not.toBeNull();
  });
});
