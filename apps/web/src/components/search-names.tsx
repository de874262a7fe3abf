"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import type { ReactNode } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/**
 * The search dialog's names section: channels the user can see and people whose names contain
 * the query's words (`search.names`, permission-filtered on the server). A channel opens it; a
 * person opens the DM with them.
 */
export function SearchNames({ query, onOpen }: { query: string; onOpen: () => void }) {
  const t = useTranslations("Search");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const names = useQuery(
    trpc.search.names.queryOptions(
      { query, limit: 5 },
      { enabled: query !== "", retry: false, staleTime: 10_000 },
    ),
  );
  const openDm = useMutation(
    trpc.conversations.openDm.mutationOptions({
      onSuccess: async (conv) => {
        await refetchFresh(queryClient, trpc.conversations.pathFilter());
        onOpen();
        router.push(`/app/c/${conv.id}`);
      },
    }),
  );
  const channels = names.data?.channels ?? [];
  const people = names.data?.people ?? [];
  if (query === "" || (channels.length === 0 && people.length === 0)) return null;
  return (
    <section className="search-names" aria-label={t("names")}>
      <NameList
        label={t("channelsFound")}
        items={channels.map((c) => ({
          id: c.id,
          content: (
            <>
              {c.kind === "private_channel" ? "🔒 " : "# "}
              {c.name}
              {c.isArchived ? <span className="muted"> {t("archived")}</span> : null}
              {c.isMember ? null : <span className="muted"> · {t("notMember")}</span>}
            </>
          ),
          pick: () => {
            onOpen();
            router.push(`/app/c/${c.id}`);
          },
        }))}
      />
      <NameList
        label={t("peopleFound")}
        isBusy={openDm.isPending}
        items={people.map((p) => ({
          id: p.id,
          content: `${p.statusEmoji ? `${p.statusEmoji} ` : ""}${p.name}`,
          pick: () => openDm.mutate({ userIds: [p.id] }),
        }))}
      />
      {openDm.error ? (
        <p className="error" role="alert">
          {errorText(openDm.error)}
        </p>
      ) : null}
    </section>
  );
}

/** One list of the names section (nothing when empty): each name a button. */
function NameList({
  label,
  items,
  isBusy = false,
}: {
  label: string;
  items: { id: string; content: ReactNode; pick: () => void }[];
  isBusy?: boolean;
}) {
  if (items.length === 0) return null;
  return (
    <ul aria-label={label}>
      {items.map((item) => (
        <li key={item.id}>
          <button type="button" className="quiet name-hit" disabled={isBusy} onClick={item.pick}>
            {item.content}
          </button>
        </li>
      ))}
    </ul>
  );
}
