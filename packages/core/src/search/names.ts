/**
 * Names for the search box, beside the messages: channels the actor can see (public ones, and
 * private ones they are a member of now — permission is part of the query) and people of the
 * workspace (active accounts), whose name contains every word of the query, anywhere in it
 * ("ops" finds #devops; trigram indexes on Conversation.name and User.name keep it cheap).
 * Filters (`in:`, `from:` …) are not names: only the query's words and phrases count.
 */
import type { TDb } from "@parley/db";
import { z } from "zod";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { canSeePersonSql, isGuestSql } from "../guests.ts";
import { parseSearchQuery } from "./query.ts";
import { likeEscape } from "./search-sql.ts";

export const ZSearchNames = z.strictObject({
  query: z.string().max(500),
  /** Most channels and most people (each). */
  limit: z.number().int().min(1).max(20).optional(),
});
export type TSearchNames = z.infer<typeof ZSearchNames>;

export type TChannelNameHit = {
  id: string;
  name: string;
  kind: "public_channel" | "private_channel";
  topic: string;
  isMember: boolean;
  isArchived: boolean;
};
export type TPersonNameHit = { id: string; name: string; statusEmoji: string; statusText: string };
export type TNamesResult = { channels: TChannelNameHit[]; people: TPersonNameHit[] };

/** Shortest query text that looks for names (one letter would list everyone). */
const MIN_NAME_QUERY = 2;

/** Channels and people whose names contain the query's words; see the header. */
export async function searchNames(db: TDb, actor: TActor, rawInput: TSearchNames): Promise<TNamesResult> {
  const input = parseInput(ZSearchNames, rawInput);
  const parsed = parseSearchQuery(input.query);
  const words = [...parsed.words, ...parsed.phrases]
    .map((w) => w.toLowerCase().replace(/^[#@]/, ""))
    .filter((w) => w !== "");
  const whole = words.join(" ");
  if (whole.length < MIN_NAME_QUERY) return { channels: [], people: [] };
  const patterns = words.map((w) => `%${likeEscape(w)}%`);
  const limit = input.limit ?? 5;
  // Best first: the exact name, then names starting with the text, then the closest by trigram.
  const [channels, people] = await Promise.all([
    db.$queryRawUnsafe<TChannelNameHit[]>(
      `SELECT c.id, c.name, c.kind::text AS kind, c.topic, m."userId" IS NOT NULL AS "isMember",
         c."archivedAt" IS NOT NULL AS "isArchived"
       FROM "Conversation" c
       LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = $1::uuid
       WHERE c.kind IN ('public_channel', 'private_channel') AND c.name ILIKE ALL($2::text[])
         AND (m."userId" IS NOT NULL OR (c.kind = 'public_channel' AND NOT ${isGuestSql("$1::uuid")}))
       ORDER BY lower(c.name) = $3 DESC, c.name ILIKE $4 DESC, similarity(c.name, $3) DESC, c.name
       LIMIT $5::int`,
      actor.userId,
      patterns,
      whole,
      `${likeEscape(whole)}%`,
      limit,
    ),
    db.$queryRawUnsafe<TPersonNameHit[]>(
      `SELECT u.id, u.name, u."statusEmoji", u."statusText"
       FROM "User" u
       WHERE u."deactivatedAt" IS NULL AND u.name ILIKE ALL($1::text[]) AND ${canSeePersonSql("$5::uuid", "u.id")}
       ORDER BY lower(u.name) = $2 DESC, u.name ILIKE $3 DESC, similarity(u.name, $2) DESC, u.name, u.id
       LIMIT $4::int`,
      patterns,
      whole,
      `${likeEscape(whole)}%`,
      limit,
      actor.userId,
    ),
  ]);
  return { channels, people };
}
