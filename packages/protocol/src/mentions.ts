/**
 * Mentions inside message bodies, in one wire format shared by server and clients (Slack's):
 * `<@userId>` mentions one user, `<!channel>`, `<!here>` and `<!everyone>` mention every member of
 * the conversation, and `<!subteam^groupId>` every member of a user group (`@design`) who is a
 * member of the conversation. Clients show them as "@Name" pills and let people type "@Name"; the composer
 * turns picked names into tokens before sending. The server derives a message's mentions from its
 * body (never from a separate list a client could forge out of sync with the text).
 */

/** The broadcast mentions; all three notify every member of the conversation. */
export const BROADCAST_MENTIONS = ["channel", "here", "everyone"] as const;
export type TBroadcastMention = (typeof BROADCAST_MENTIONS)[number];

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/**
 * Matches one mention token; group 1 is a user id, group 2 a broadcast name, group 3 a user
 * group's id. Global: use with `matchAll` or `replace`, or reset `lastIndex` before `exec`.
 */
export const MENTION_TOKEN_RE = new RegExp(
  `<@(${UUID})>|<!(${BROADCAST_MENTIONS.join("|")})>|<!subteam\\^(${UUID})>`,
  "g",
);

/** The token that mentions one user. */
export function userMentionToken(userId: string): string {
  return `<@${userId.toLowerCase()}>`;
}

/** The token for @channel, @here or @everyone. */
export function broadcastMentionToken(name: TBroadcastMention): string {
  return `<!${name}>`;
}

/** The token that mentions every member of a user group (Slack's `<!subteam^ID>`). */
export function groupMentionToken(groupId: string): string {
  return `<!subteam^${groupId.toLowerCase()}>`;
}

/** What a body mentions: users and user groups (lower-cased, unique, in order of first mention), everyone. */
export type TParsedMentions = { userIds: string[]; groupIds: string[]; all: boolean };

/** The users and groups a body mentions and whether it mentions everyone (see TParsedMentions). */
export function parseMentions(body: string): TParsedMentions {
  const userIds: string[] = [];
  const groupIds: string[] = [];
  let all = false;
  for (const match of body.matchAll(MENTION_TOKEN_RE)) {
    const userId = match[1]?.toLowerCase();
    const groupId = match[3]?.toLowerCase();
    if (userId) {
      if (!userIds.includes(userId)) userIds.push(userId);
    } else if (groupId) {
      if (!groupIds.includes(groupId)) groupIds.push(groupId);
    } else {
      all = true;
    }
  }
  return { userIds, groupIds, all };
}
