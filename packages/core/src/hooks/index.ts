/** Integrations beyond bot tokens: incoming webhooks and slash commands (docs/integrations.md). */
export * from "./answers.ts";
export * from "./commands.ts";
export * from "./dispatch.ts";
export * from "./incoming.ts";
export * from "./outbound.ts";
export * from "./post.ts";
export * from "./responses.ts";
