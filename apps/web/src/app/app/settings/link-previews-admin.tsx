"use client";

/** Admins: whether the server fetches link previews for new messages (core/src/previews/settings.ts). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FormError } from "~/components/field";
import { useTRPC } from "~/trpc/react";

export function LinkPreviewsAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.workspace.linkPreviews.queryOptions());
  const save = useMutation(
    trpc.workspace.setLinkPreviews.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.workspace.linkPreviews.queryFilter()),
    }),
  );
  return (
    <section className="card" aria-labelledby="link-previews-heading">
      <h2 id="link-previews-heading">Link previews</h2>
      <p className="muted">
        When a message contains a link, the server fetches the page&apos;s title and description and shows
        them under the message. Only public addresses are fetched. Turning this off stops new previews; the
        sender of a message can remove its preview.
      </p>
      <label className="check">
        <input
          type="checkbox"
          disabled={!current.data || save.isPending}
          checked={current.data?.enabled ?? false}
          onChange={(e) => save.mutate({ enabled: e.target.checked })}
        />
        Show link previews
      </label>
      <FormError message={save.error?.message} />
    </section>
  );
}
