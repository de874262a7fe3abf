/**
 * @parley/gateway: the WebSocket gateway (handshake, auth, frames, delivery, resume, presence) as
 * a library. apps/realtime runs it as its own process; apps/web/server.ts embeds it on `/ws`.
 */
export * from "./auth.ts";
export * from "./commands.ts";
export * from "./delivery.ts";
export * from "./gateway.ts";
export { answerHealth, type THealthSource } from "./http-replies.ts";
export * from "./logging.ts";
export * from "./metrics-server.ts";
export * from "./realtime.ts";
