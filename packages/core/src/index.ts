/**
 * @parley/core — Parley's domain services, free of any transport. Every service has the shape
 * `fn(db, actor, input)`, validates `input` with the exported zod schemas (BAD_REQUEST, nothing
 * written), enforces permissions (ParleyError), persists, then publishes to the EventSink.
 */
export * from "./access.ts";
export * from "./actor.ts";
export * from "./auth.ts";
export * from "./conversations.ts";
export * from "./errors.ts";
export * from "./events.ts";
export { isUuid, uuidv7 } from "./ids.ts";
export * from "./limits.ts";
export * from "./messages.ts";
export { hashPassword, verifyPassword } from "./passwords.ts";
export * from "./schemas.ts";
export * from "./tickets.ts";
export * from "./tokens.ts";
export { appendConversationEvent, appendUserEvent, inWriteTx, type Tx, type Writer } from "./tx.ts";
export * from "./users.ts";
export * from "./workspace.ts";
