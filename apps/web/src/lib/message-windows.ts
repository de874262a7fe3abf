/**
 * The workspace's edit and delete windows as the message actions mirror them: Edit and Delete
 * are hidden once a window has passed (the server refuses anyway, with EDIT_WINDOW_CLOSED /
 * DELETE_WINDOW_CLOSED). The rule is core's own (`@parley/core/messages/window-rule`).
 */
import { isWithinWindow } from "@parley/core/messages/window-rule";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";

/** What the reader may do to a message of theirs now: edit it, delete it. */
export type TWindowVerdict = { canEdit: boolean; canDeleteOwn: boolean };

/** The windows (one query, cached for a minute); while loading, nothing is hidden. */
export function useMessageWindows(): (createdAt: Date | string) => TWindowVerdict {
  const trpc = useTRPC();
  const windows = useQuery({ ...trpc.workspace.messageWindows.queryOptions(), staleTime: 60_000 });
  return (createdAt) => {
    const sent = new Date(createdAt);
    const now = new Date();
    return {
      canEdit: isWithinWindow(windows.data?.editWindowSeconds ?? null, sent, now),
      canDeleteOwn: isWithinWindow(windows.data?.deleteWindowSeconds ?? null, sent, now),
    };
  };
}
