import { mintTicket } from "@parley/core";
import { protectedProcedure, router } from "../../trpc.ts";

export const realtimeRouter = router({
  /** A 60-second ticket for the WebSocket handshake, and where to connect. */
  ticket: protectedProcedure.mutation(async ({ ctx }) => {
    const ticket = await mintTicket(ctx.env.AUTH_SECRET, {
      userId: ctx.actor.userId,
      ...(ctx.sessionId ? { sessionId: ctx.sessionId } : {}),
      ...(ctx.tokenId ? { tokenId: ctx.tokenId } : {}),
    });
    return { ticket, url: ctx.env.REALTIME_PUBLIC_URL };
  }),
});
