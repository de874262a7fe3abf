"use client";

/**
 * The composer's warning before a send the server would refuse for @channel/@here/@everyone: the
 * workspace's broadcast policy (`workspace.broadcastPolicy`) applied to this conversation with
 * core's own rule and words (`@parley/core/messages/broadcast-rule`). Only a warning: the server
 * decides (the policy may have changed since it was fetched), and a refused send shows its reason.
 */
import {
  broadcastRestrictedRefusal,
  broadcastRestrictedText,
  isBroadcastRestricted,
  type TBroadcastContext,
} from "@parley/core/messages/broadcast-rule";
import { useQuery } from "@tanstack/react-query";
import { useErrorText } from "~/i18n/server-errors";
import { useTRPC } from "~/trpc/react";

/** The warning for broadcasts here, or null when the sender may use them (or it is not known yet). */
export function useBroadcastWarning(ctx: Partial<TBroadcastContext>): string | null {
  const trpc = useTRPC();
  const errorText = useErrorText();
  const policy = useQuery(trpc.workspace.broadcastPolicy.queryOptions(undefined, { staleTime: 60_000 }));
  const { kind, memberCount, role } = ctx;
  if (!policy.data || kind === undefined || memberCount === undefined || role === undefined) return null;
  return isBroadcastRestricted(policy.data, { kind, memberCount, role })
    ? `${errorText({
        message: broadcastRestrictedText(policy.data.threshold),
        ...broadcastRestrictedRefusal(policy.data.threshold),
      })}.`
    : null;
}
