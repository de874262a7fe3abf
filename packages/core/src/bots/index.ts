/** Bots: the users admins make, their scoped tokens (and what their event stream sees), and the Slack `ts` of messages. */
export * from "./channels.ts";
export * from "./manage.ts";
export * from "./message-ts.ts";
export * from "./mrkdwn.ts";
export * from "./scope.ts";
export * from "./stream.ts";
export * from "./tokens.ts";
