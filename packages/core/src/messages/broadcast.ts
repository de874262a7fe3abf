/**
 * The workspace's broadcast policy (issue 12): who may use @channel, @here and @everyone
 * (`mentionsAll`) in channels with more than `Workspace.broadcastThreshold` members —
 * `everyone` (the default) or, with `admins`, workspace owners and admins only. DMs and group DMs
 * are never restricted (everyone there is addressed anyway).
 *
 * The rule is one SQL expression, `broadcastLimitSql`, evaluated inside each writer's own
 * statement or transaction, after the conversation's row lock, against the sender's role as
 * stored now (not the actor's cached one): the send statements of both roads (`send-one.ts`,
 * `send-batch.ts`) and the edit transaction. Writers evaluate it only for a body whose parsed
 * mentions say `all`, so a send without a broadcast pays nothing. Counting stops at threshold + 1
 * members, so a 10,000-member channel is not counted out. A refusal is FORBIDDEN with reason
 * BROADCAST_RESTRICTED (`broadcastRestricted`, its text from `broadcast-rule.ts`, which also holds
 * the same rule in plain code for composers), and nothing is written.
 */
import { ErrorReason } from "@parley/protocol";
import { ParleyError } from "../errors.ts";
import type { TTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import { broadcastRestrictedRefusal } from "./broadcast-rule.ts";

/**
 * SQL (text, no parameters) for "the threshold that refuses a broadcast here, else NULL": the
 * workspace's `broadcastThreshold` when its policy is `admins`, the conversation (`conv`, of
 * kind `kind`) is a channel with more members than that, and the sender's role (`role`) is not
 * owner or admin. The arguments are trusted column expressions of the caller's query, never input.
 */
export function broadcastLimitSql(exprs: { conv: string; kind: string; role: string }): string {
  return `(SELECT w."broadcastThreshold" FROM "Workspace" w
    WHERE w.id = ${Number(WORKSPACE_ID)} AND w."broadcastPolicy" = 'admins'
      AND ${exprs.kind}::text IN ('public_channel', 'private_channel')
      AND ${exprs.role}::text NOT IN ('owner', 'admin')
      AND (SELECT count(*) FROM (
        SELECT 1 FROM "Membership" bm WHERE bm."conversationId" = ${exprs.conv} LIMIT w."broadcastThreshold" + 1
      ) bx) > w."broadcastThreshold")`;
}

/** The refusal of a broadcast mention where only admins may use one (`threshold` from the policy). */
export function broadcastRestricted(threshold: number): ParleyError {
  const { template, params } = broadcastRestrictedRefusal(threshold);
  return new ParleyError("FORBIDDEN", template, { reason: ErrorReason.BroadcastRestricted, params });
}

/**
 * Throws `broadcastRestricted` when the policy refuses a broadcast by `userId` in `conversationId`
 * now. For writers outside the send statements (edits, a send's refusal explained): in a
 * transaction holding the conversation's row lock it is exact (membership changes take that lock).
 */
export async function requireBroadcastAllowed(
  tx: Pick<TTx, "$queryRawUnsafe">,
  conversationId: string,
  userId: string,
): Promise<void> {
  const [row] = await tx.$queryRawUnsafe<{ limit: number | null }[]>(
    `SELECT ${broadcastLimitSql({ conv: "c.id", kind: "c.kind", role: "u.role" })} AS "limit"
     FROM "Conversation" c, "User" u WHERE c.id = $1::uuid AND u.id = $2::uuid`,
    conversationId,
    userId,
  );
  if (row?.limit != null) throw broadcastRestricted(row.limit);
}
