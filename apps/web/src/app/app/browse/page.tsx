"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { FormError } from "~/components/field";
import { useTRPC } from "~/trpc/react";

export default function BrowseChannelsPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const browse = useQuery(trpc.conversations.browse.queryOptions());
  const join = useMutation(
    trpc.conversations.join.mutationOptions({
      onSuccess: async (_data, { conversationId }) => {
        await queryClient.invalidateQueries(trpc.conversations.pathFilter());
        router.push(`/app/c/${conversationId}`);
      },
    }),
  );

  return (
    <div className="page">
      <h1>Browse channels</h1>
      <FormError message={browse.error?.message ?? join.error?.message} />
      {browse.isPending ? <p className="muted">Loading…</p> : null}
      {browse.data && browse.data.length === 0 ? (
        <p className="muted">
          No channels yet. <Link href="/app/new-channel">Create one</Link>.
        </p>
      ) : null}
      {browse.data && browse.data.length > 0 ? (
        <ul className="list" aria-label="Channels">
          {browse.data.map((c) => (
            <li key={c.id}>
              <div className="grow">
                <strong># {c.name}</strong>{" "}
                <span className="muted">
                  · {c.memberCount} {c.memberCount === 1 ? "member" : "members"}
                </span>
                {c.topic ? <div className="muted">{c.topic}</div> : null}
              </div>
              {c.isMember ? (
                <Link href={`/app/c/${c.id}`} aria-label={`Open ${c.name}`}>
                  Open
                </Link>
              ) : (
                <button
                  type="button"
                  className="primary"
                  aria-label={`Join ${c.name}`}
                  disabled={join.isPending}
                  onClick={() => join.mutate({ conversationId: c.id })}
                >
                  Join
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
