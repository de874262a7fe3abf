/**
 * The group commit's one statement (send-batch.ts): locks the batch's conversations, checks each
 * send, numbers the ones that may go ahead and stores them (Event and Message rows), and answers
 * per send its seq or why not. Named (`SEND_STATEMENTS`), so each pooled connection parses and
 * plans it once.
 *
 * Two variants of one text: the full statement, and the plain one for a batch in which no send
 * mentions anyone (by name, user group or @channel) or replies in a thread — most batches. The
 * plain one leaves out the mention and thread-root lookups and the reply counters, and has what
 * the full one computes for such sends as constants: no mentioned members, no root, no broadcast
 * policy read. A statement's fixed cost (executor start-up and shutdown of each CTE) is most of
 * what a small batch costs: one send alone took 1,050–1,220 µs of Postgres CPU with the full
 * statement and 790–920 µs with the plain one (docs/performance.md, sixteenth round).
 */
import { EventKind } from "@parley/protocol";
import { broadcastLimitSql } from "./broadcast.ts";

// Timestamps travel as ISO strings with Z and are stored as UTC, like Prisma stores DateTime.
const AT = `(at::timestamptz AT TIME ZONE 'UTC')::timestamp(3)`;

/** What the full statement has and the plain one has not (or has as constants). */
type TVariant = {
  mentionInputs: string;
  mentioned: string;
  rootAndBroadcast: string;
  rootJoin: string;
  replyCounters: string;
};

const FULL: TVariant = {
  // The mentions: $11–$13 people by name, $14–$16 user groups (send-batch.ts `write`).
  mentionInputs: `), men AS (
  SELECT * FROM unnest($11::int[], $12::uuid[], $13::int[]) AS t(i, "userId", ord)
), mgr AS (
  SELECT * FROM unnest($14::int[], $15::uuid[], $16::int[]) AS t(i, "groupId", ord)
`,
  mentioned: `-- Mentioned by name, then through user groups (mentions.ts's rule): members only, once each.
    ARRAY(
      SELECT q.uid::text FROM (
        SELECT DISTINCT ON (x.uid) x.uid, x.ord FROM (
          SELECT men."userId" AS uid, men.ord FROM men WHERE men.i = inp.i
          UNION ALL
          SELECT gm."userId", mg.ord FROM mgr mg
          JOIN "UserGroupMember" gm ON gm."groupId" = mg."groupId"
          WHERE mg.i = inp.i
        ) x
        WHERE EXISTS (
          SELECT 1 FROM "Membership" mm WHERE mm."conversationId" = inp.conv AND mm."userId" = x.uid
        )
        ORDER BY x.uid, x.ord
      ) q
      ORDER BY q.ord, q.uid
    )`,
  rootAndBroadcast: `(r.id IS NOT NULL AND r."conversationId" = inp.conv AND r."deletedAt" IS NULL) AS "isRootLive",
    (r."threadRootId" IS NOT NULL) AS "isRootAReply",
    -- Evaluated only for a body with a broadcast (CASE): other sends never read the policy.
    CASE WHEN inp."mentionsAll" THEN ${broadcastLimitSql({ conv: "inp.conv", kind: "c.kind", role: "u.role" })}
    END AS "broadcastLimit"`,
  rootJoin: `  LEFT JOIN LATERAL (
    SELECT id, "conversationId", "deletedAt", "threadRootId" FROM "Message" WHERE id = inp.root LIMIT 1
  ) r ON true
`,
  replyCounters: `), replies AS MATERIALIZED (
  SELECT jsonb_object_agg(root::text, jsonb_build_array(n, last)) AS m, array_agg(root) AS ids
  FROM (
    SELECT root, count(*)::int AS n, max(${AT}) AS last FROM numbered WHERE root IS NOT NULL GROUP BY root
  ) x
), roots AS (
  UPDATE "Message" m
  SET "replyCount" = m."replyCount" + ((SELECT r.m FROM replies r) -> m.id::text ->> 0)::int,
    "lastReplyAt" = ((SELECT r.m FROM replies r) -> m.id::text ->> 1)::timestamp(3)
  -- The second condition is a one-time filter: a batch without replies never reaches the scan
  -- (a plan made while Message was small scans it for = ANY, once per batch, as it grows).
  WHERE m.id = ANY((SELECT ids FROM replies)::uuid[]) AND (SELECT ids FROM replies) IS NOT NULL
`,
};

/** No mentions, no roots: what FULL computes for such sends, as constants. */
const PLAIN: TVariant = {
  mentionInputs: "",
  mentioned: "'{}'::text[]",
  rootAndBroadcast: `false AS "isRootLive", false AS "isRootAReply", NULL::int AS "broadcastLimit"`,
  rootJoin: "",
  replyCounters: "",
};

// Every per-send lookup is a LATERAL subquery with LIMIT 1 (an index probe per send, whatever the
// planner believes about the batch's size: never a scan of Message or User hashed for a join, what
// it chose once the tables had statistics); sets and maps are jsonb objects looked up per send,
// never joins between CTEs (the planner cannot know their sizes; its nested loops over two of them
// were quadratic).
function sendSql(v: TVariant): string {
  return `
WITH inp AS (
  SELECT * FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::uuid[],
    $8::bool[], $9::bool[], $10::text[])
    AS t(i, id, conv, sender, "clientMsgId", body, root, "alsoInChannel", "mentionsAll", at)
${v.mentionInputs}), locked AS (
  -- By index (= ANY of the array), in id order: no deadlock between batches.
  SELECT c.id, c."membersSeq" FROM "Conversation" c
  WHERE c.id = ANY($3::uuid[]) AND c."archivedAt" IS NULL
  ORDER BY c.id
  FOR UPDATE
), held AS MATERIALIZED (
  SELECT coalesce(jsonb_object_agg(id::text, "membersSeq"), '{}') AS m FROM locked
), chk AS MATERIALIZED (
  -- What a send needs to go ahead (and, when it may not, why), read once the locks are held.
  SELECT inp.*, (SELECT m FROM held) ? inp.conv::text AS "isHeld",
    c.kind::text AS kind, c."archivedAt", (mb.one IS NOT NULL) AS "isMember",
    coalesce(u.role = 'guest', false) AS "isGuest", u.name AS "senderName", ex.id::text AS "existingId",
    ${v.mentioned} AS "mentionedMemberIds",
    ${v.rootAndBroadcast}
  FROM inp
  LEFT JOIN LATERAL (SELECT name, role FROM "User" WHERE id = inp.sender LIMIT 1) u ON true
  LEFT JOIN LATERAL (SELECT kind, "archivedAt" FROM "Conversation" WHERE id = inp.conv LIMIT 1) c ON true
  LEFT JOIN LATERAL (
    SELECT 1 AS one FROM "Membership" WHERE "conversationId" = inp.conv AND "userId" = inp.sender LIMIT 1
  ) mb ON true
  LEFT JOIN LATERAL (
    SELECT id FROM "Message" WHERE "senderId" = inp.sender AND "clientMsgId" = inp."clientMsgId" LIMIT 1
  ) ex ON true
${v.rootJoin}), ok AS (
  SELECT * FROM chk
  WHERE "isHeld" AND "isMember" AND "senderName" IS NOT NULL AND "existingId" IS NULL
    AND (root IS NULL OR ("isRootLive" AND NOT "isRootAReply")) AND "broadcastLimit" IS NULL
), counts AS MATERIALIZED (
  SELECT jsonb_object_agg(conv::text, n) AS m, array_agg(conv) AS ids
  FROM (SELECT conv, count(*)::int AS n FROM ok GROUP BY conv) x
), c AS (
  UPDATE "Conversation" cv SET "lastSeq" = cv."lastSeq" + ((SELECT m FROM counts) ->> cv.id::text)::int
  WHERE cv.id = ANY((SELECT ids FROM counts)::uuid[])
  RETURNING cv.id, cv."lastSeq" - ((SELECT m FROM counts) ->> cv.id::text)::int AS base
), bases AS MATERIALIZED (
  SELECT jsonb_object_agg(id::text, base) AS m FROM c
), numbered AS (
  SELECT ok.*, (b.base + row_number() OVER (PARTITION BY ok.conv ORDER BY ok.i))::int AS seq
  FROM ok, LATERAL (SELECT ((SELECT m FROM bases) ->> ok.conv::text)::int AS base) b
  WHERE b.base IS NOT NULL
), e AS (
  -- The stored payload: the same fields and values as eventPayload (send-one.ts) builds for the push.
  INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
  SELECT conv, seq, '${EventKind.MessageCreated}', sender,
    jsonb_build_object('message', jsonb_build_object(
      'id', id, 'senderId', sender, 'senderName', "senderName", 'clientMsgId', "clientMsgId", 'body', body,
      'threadRootId', root, 'alsoInChannel', "alsoInChannel", 'lastReplyAt', NULL,
      'mentionedUserIds', to_jsonb("mentionedMemberIds"), 'mentionsAll', "mentionsAll",
      'pinnedAt', NULL, 'pinnedById', NULL, 'createdAt', at, 'attachments', '[]'::jsonb)),
    ${AT}
  FROM numbered
), msg AS (
  INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "threadRootId",
    "alsoInChannel", "mentionedUserIds", "mentionsAll", "createdAt")
  SELECT id, conv, seq, sender, "clientMsgId", body, root, "alsoInChannel", "mentionedMemberIds"::uuid[],
    "mentionsAll", ${AT}
  FROM numbered
${v.replyCounters}), nums AS MATERIALIZED (
  SELECT coalesce(jsonb_object_agg(i::text, seq), '{}') AS m FROM numbered
)
SELECT chk.i, ((SELECT m FROM nums) ->> chk.i::text)::int AS seq,
  ((SELECT m FROM held) ->> chk.conv::text)::int AS "membersSeq",
  chk.kind, chk."archivedAt", chk."isMember", chk."isGuest", chk."senderName", chk."existingId", chk."mentionedMemberIds",
  chk."isRootLive", chk."isRootAReply", chk."broadcastLimit"
FROM chk`;
}

/** The two statements by name (a changed text needs a new name: pooled connections keep old plans). */
export const SEND_STATEMENTS = {
  full: { name: "parley_send_v11", text: sendSql(FULL) },
  plain: { name: "parley_send_plain_v1", text: sendSql(PLAIN) },
} as const;
