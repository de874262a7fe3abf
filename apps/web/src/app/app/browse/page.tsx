"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { FormError } from "~/components/field";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export default function BrowseChannelsPage() {
  const t = useTranslations("Browse");
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const browse = useQuery(trpc.conversations.browse.queryOptions());
  const join = useMutation(
    trpc.conversations.join.mutationOptions({
      onSuccess: async (_data, { conversationId }) => {
        await refetchFresh(queryClient, trpc.conversations.pathFilter());
        router.push(`/app/c/${conversationId}`);
      },
    }),
  );

  return (
    <div className="page">
      <h1>{t("heading")}</h1>
      <FormError error={browse.error ?? join.error} />
      {browse.isPending ? <p className="muted">{t("loading")}</p> : null}
      {browse.data && browse.data.length === 0 ? (
        <p className="muted">
          {t.rich("empty", { link: (chunks) => <Link href="/app/new-channel">{chunks}</Link> })}
        </p>
      ) : null}
      {browse.data && browse.data.length > 0 ? (
        <ul className="list" aria-label={t("list")}>
          {browse.data.map((c) => (
            <li key={c.id}>
              <div className="grow">
                <strong># {c.name}</strong>{" "}
                <span className="muted">· {t("members", { count: c.memberCount })}</span>
                {c.topic ? <div className="muted">{c.topic}</div> : null}
              </div>
              {c.isMember ? (
                <Link href={`/app/c/${c.id}`} aria-label={t("openName", { name: c.name ?? "" })}>
                  {t("open")}
                </Link>
              ) : (
                <button
                  type="button"
                  className="primary"
                  aria-label={t("joinName", { name: c.name ?? "" })}
                  disabled={join.isPending}
                  onClick={() => join.mutate({ conversationId: c.id })}
                >
                  {t("join")}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
