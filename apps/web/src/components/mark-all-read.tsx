"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useErrorText } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/** "Mark all as read": every conversation's read position to its end (other devices follow). */
export function MarkAllRead({ hasUnread }: { hasUnread: boolean }) {
  const t = useTranslations("Sidebar");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const mark = useMutation(
    trpc.notifications.markAllRead.mutationOptions({
      onSuccess: () => refetchFresh(queryClient, trpc.conversations.pathFilter()),
    }),
  );
  return (
    <>
      <button
        type="button"
        className="nav-action"
        disabled={!hasUnread || mark.isPending}
        onClick={() => mark.mutate()}
      >
        {t("markAllRead")}
      </button>
      {mark.error ? (
        <p role="alert" className="error">
          {errorText(mark.error)}
        </p>
      ) : null}
    </>
  );
}
