/**
 * A channel made through a bot token: the bot creates it like anyone (it becomes its owner) and,
 * in the same transaction, the token's scope grows by that channel, so the token can use what it
 * made. A token that may not write cannot create. A person's token creates as the person.
 */
import { isUniqueViolation, type TDb } from "@parley/db";
import { createChannel, createChannelIn } from "../conversations/channels.ts";
import { getConversationDto, type TConversationDto } from "../conversations/view.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { refuseGuests } from "../guests.ts";
import { ZCreateChannel } from "../schemas.ts";
import { inWriteTx } from "../tx.ts";
import { requireCapability, type TScopedActor } from "./scope.ts";

/** createChannel for a bot token (its scope gains the channel) or a person's token. */
export async function createChannelInScope(
  db: TDb,
  actor: TScopedActor,
  input: unknown,
): Promise<TConversationDto> {
  if (!actor.scope || !actor.tokenId) return createChannel(db, actor, input);
  requireCapability(actor, "write");
  const data = parseInput(ZCreateChannel, input);
  refuseGuests(actor, errorTemplate("Guests cannot create channels"));
  const tokenId = actor.tokenId;
  try {
    return await inWriteTx(db, async (w) => {
      const id = await createChannelIn(w, actor, data);
      await w.tx.$executeRaw`
        UPDATE "BotToken" SET "channelIds" = array_append("channelIds", ${id}::uuid)
        WHERE id = ${tokenId}::uuid`;
      return getConversationDto(w.tx, actor, id);
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", "A channel named #{name} already exists", {
        params: { name: data.name },
      });
    throw err;
  }
}
