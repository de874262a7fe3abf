/**
 * auth.test, users.list/info/lookupByEmail and reactions.add/remove. users.* answer the people the
 * caller's user may see (core's listUsers: active users; a guest's strangers left out) to every
 * token, whatever its channel scope: names are not channel content. Reactions are writes in a
 * channel and need the token's write scope there.
 */
import {
  addReaction,
  findMessageByTs,
  getMe,
  getWorkspaceStatus,
  listUsers,
  removeReaction,
  requireChannelScope,
} from "@parley/core";
import { publicOrigin, type TSlackCall, type TSlackMethod } from "../call.ts";
import { SlackError } from "../errors.ts";
import { channelId, keysetPage, str, userId } from "../params.ts";
import { slackUser, TEAM_ID } from "../shapes.ts";

export const authTest: TSlackMethod = async (call) => {
  const { db, actor } = call;
  const [me, workspace] = await Promise.all([getMe(db, actor), getWorkspaceStatus(db)]);
  return {
    url: `${publicOrigin(call)}/`,
    team: workspace.name ?? "",
    user: me.name,
    team_id: TEAM_ID,
    user_id: me.id,
    // Slack gives bots a bot id besides their user id; a bot's token id plays that part here.
    ...(me.isBot ? { bot_id: actor.tokenId } : {}),
    is_enterprise_install: false,
  };
};

export const usersList: TSlackMethod = async ({ db, actor, params }) => {
  const users = await listUsers(db, actor);
  const { page, response_metadata } = keysetPage(params, users, (u) => u.id, 100, 1000);
  return { members: page.map(slackUser), cache_ts: Math.floor(Date.now() / 1000), response_metadata };
};

export const usersInfo: TSlackMethod = async ({ db, actor, params }) => {
  const id = userId(params);
  const user = (await listUsers(db, actor)).find((u) => u.id === id);
  if (!user) throw new SlackError("user_not_found");
  return { user: slackUser(user) };
};

export const usersLookupByEmail: TSlackMethod = async ({ db, actor, params }) => {
  const email = str(params, "email")?.trim().toLowerCase();
  const user = email ? (await listUsers(db, actor)).find((u) => u.email === email && !u.isBot) : undefined;
  if (!user) throw new SlackError("users_not_found");
  return { user: slackUser(user) };
};

/** The message a reaction call names (`channel` + `timestamp`), after the write-scope check. */
async function reactionTarget(call: TSlackCall) {
  const conversationId = channelId(call.params);
  const access = await requireChannelScope(call.db, call.actor, conversationId, "write");
  const ts = str(call.params, "timestamp");
  const found = ts ? await findMessageByTs(call.db, conversationId, access.lastSeq, ts) : null;
  if (!found || found.deletedAt) throw new SlackError("message_not_found");
  const name = str(call.params, "name")?.replace(/^:|:$/g, "");
  if (!name) throw new SlackError("invalid_name");
  return { messageId: found.id, emoji: `:${name}:` };
}

/** Core's refusal of an emoji name is Slack's invalid_name. */
async function withEmojiCheck<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Error && (err as { code?: unknown }).code === "BAD_REQUEST")
      throw new SlackError("invalid_name");
    throw err;
  }
}

export const reactionsAdd: TSlackMethod = async (call) => {
  const input = await reactionTarget(call);
  const result = await withEmojiCheck(() => addReaction(call.db, call.actor, input));
  if (!result.isChanged) throw new SlackError("already_reacted");
  return {};
};

export const reactionsRemove: TSlackMethod = async (call) => {
  const input = await reactionTarget(call);
  const result = await withEmojiCheck(() => removeReaction(call.db, call.actor, input));
  if (!result.isChanged) throw new SlackError("no_reaction");
  return {};
};
