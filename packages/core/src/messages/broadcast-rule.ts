/**
 * The broadcast policy's rule in words and in plain code, free of the database: the server's
 * refusal text (`broadcast.ts`) and the composer's warning before sending (apps/web, through the
 * `@parley/core/messages/broadcast-rule` export) are this one sentence, and the composer decides
 * with the same rule the send statements apply in SQL (`broadcastLimitSql`).
 */
import { errorTemplate, formatTemplate, type TErrorText } from "../errors.ts";

/** The workspace's broadcast policy (Workspace.broadcastPolicy / broadcastThreshold). */
export type TBroadcastPolicy = { policy: "everyone" | "admins"; threshold: number };

/** What the rule looks at besides the policy: the conversation and the sender's workspace role. */
export type TBroadcastContext = {
  kind: "public_channel" | "private_channel" | "dm" | "group_dm";
  memberCount: number;
  role: "owner" | "admin" | "member" | "guest";
};

/** True when the policy refuses @channel/@here/@everyone from this sender in this conversation. */
export function isBroadcastRestricted(policy: TBroadcastPolicy, ctx: TBroadcastContext): boolean {
  return (
    policy.policy === "admins" &&
    (ctx.kind === "public_channel" || ctx.kind === "private_channel") &&
    ctx.role === "member" &&
    ctx.memberCount > policy.threshold
  );
}

/** The refusal as a template, also the composer's warning ("… in channels with more than 5 members"). */
export function broadcastRestrictedRefusal(threshold: number): TErrorText {
  if (threshold === 0)
    return {
      template: errorTemplate("Only workspace admins can use @channel, @here or @everyone in channels"),
    };
  if (threshold === 1) {
    return {
      template: errorTemplate(
        "Only workspace admins can use @channel, @here or @everyone in channels with more than 1 member",
      ),
    };
  }
  return {
    template: errorTemplate(
      "Only workspace admins can use @channel, @here or @everyone in channels with more than {count} members",
    ),
    params: { count: threshold },
  };
}

/** The refusal's English text. */
export function broadcastRestrictedText(threshold: number): string {
  const { template, params } = broadcastRestrictedRefusal(threshold);
  return formatTemplate(template, params);
}
