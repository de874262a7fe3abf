"use client";

/**
 * Admins: every channel (`channelAdmin.list`), with archive/unarchive, public ↔ private, a new
 * owner and deletion confirmed by typing the name. Private channels show only their name, member
 * count and archived flag — the server sends nothing more. The server checks every rule; this
 * only mirrors them (#general offers no convert, archive or delete).
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";

type TChannel = TRouterOutputs["channelAdmin"]["list"]["channels"][number];
type TFilters = {
  query: string;
  kind: "all" | "public" | "private";
  archived: "all" | "active" | "archived";
};

export function ChannelsAdmin() {
  const t = useTranslations("ChannelsAdmin");
  const trpc = useTRPC();
  const [filters, setFilters] = useState<TFilters>({ query: "", kind: "all", archived: "all" });
  const list = useInfiniteQuery(
    trpc.channelAdmin.list.infiniteQueryOptions(
      { ...filters, query: filters.query.trim() || undefined },
      { getNextPageParam: (last) => last.nextCursor ?? undefined, retry: false },
    ),
  );
  const channels = list.data?.pages.flatMap((p) => p.channels) ?? [];
  return (
    <section className="card" aria-labelledby="channels-admin-heading">
      <h2 id="channels-admin-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <div className="row">
        <Field
          label={t("search")}
          value={filters.query}
          maxLength={80}
          onChange={(e) => setFilters({ ...filters, query: e.target.value })}
        />
        <Choice
          label={t("kind")}
          value={filters.kind}
          options={{ all: t("all"), public: t("public"), private: t("private") }}
          onChange={(kind) => setFilters({ ...filters, kind })}
        />
        <Choice
          label={t("state")}
          value={filters.archived}
          options={{ all: t("all"), active: t("active"), archived: t("archived") }}
          onChange={(archived) => setFilters({ ...filters, archived })}
        />
      </div>
      <FormError error={list.error} />
      {list.data && channels.length === 0 ? <p className="muted">{t("none")}</p> : null}
      <ul className="list" aria-label={t("heading")}>
        {channels.map((c) => (
          <ChannelRow key={c.id} channel={c} />
        ))}
      </ul>
      {list.hasNextPage ? (
        <p>
          <button type="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {t("more")}
          </button>
        </p>
      ) : null}
    </section>
  );
}

/** A labelled select over a fixed set of values. */
function Choice<V extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: V;
  options: Record<V, string>;
  onChange: (value: V) => void;
}) {
  return (
    <label className="field">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value as V)}>
        {(Object.entries(options) as [V, string][]).map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

function ChannelRow({ channel: c }: { channel: TChannel }) {
  const t = useTranslations("ChannelsAdmin");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [panel, setPanel] = useState<"owner" | "delete" | null>(null);
  const refresh = () =>
    Promise.all([
      refetchFresh(queryClient, trpc.channelAdmin.list.pathFilter()),
      refetchFresh(queryClient, trpc.conversations.list.queryFilter()),
    ]);
  const done = { onSuccess: refresh };
  const setArchived = useMutation(trpc.channelAdmin.setArchived.mutationOptions(done));
  const convert = useMutation(trpc.channelAdmin.convert.mutationOptions(done));
  const isPublic = c.kind === "public_channel";
  const isGeneral = isPublic && c.isGeneral;
  const label = `#${c.name}`;
  return (
    <li style={{ flexWrap: "wrap" }}>
      <div className="grow">
        <strong>
          {isPublic ? "#" : "🔒 "}
          {c.name}
        </strong>{" "}
        <span className="tag">{isPublic ? t("publicTag") : t("privateTag")}</span>{" "}
        {c.isArchived ? <span className="tag">{t("archivedTag")}</span> : null}{" "}
        {isGeneral ? <span className="tag">{t("generalTag")}</span> : null}
        <div className="muted">
          {t("members", { count: c.memberCount })}
          {isPublic
            ? ` · ${t("owner", { name: c.owner?.name ?? t("noOwner") })}${c.topic ? ` · ${c.topic}` : ""}`
            : null}
        </div>
        <FormError error={setArchived.error ?? convert.error} />
      </div>
      {isGeneral ? null : (
        <div className="row">
          {c.isArchived ? (
            <button
              type="button"
              aria-label={t("unarchiveLabel", { label })}
              onClick={() => setArchived.mutate({ conversationId: c.id, archived: false })}
            >
              {t("unarchive")}
            </button>
          ) : (
            <>
              <button
                type="button"
                aria-label={isPublic ? t("makePrivateLabel", { label }) : t("makePublicLabel", { label })}
                disabled={convert.isPending}
                onClick={() => convert.mutate({ conversationId: c.id, isPrivate: isPublic })}
              >
                {isPublic ? t("makePrivate") : t("makePublic")}
              </button>
              <button
                type="button"
                aria-label={t("archiveLabel", { label })}
                onClick={() => setArchived.mutate({ conversationId: c.id, archived: true })}
              >
                {t("archive")}
              </button>
            </>
          )}
          {c.isArchived ? null : (
            <button
              type="button"
              aria-label={t("changeOwnerLabel", { label })}
              onClick={() => setPanel(panel === "owner" ? null : "owner")}
            >
              {t("changeOwner")}
            </button>
          )}
          <button
            type="button"
            className="danger"
            aria-label={t("deleteLabel", { label })}
            onClick={() => setPanel(panel === "delete" ? null : "delete")}
          >
            {t("delete")}
          </button>
        </div>
      )}
      {panel === "owner" ? <OwnerForm channel={c} onDone={() => setPanel(null)} /> : null}
      {panel === "delete" && !isGeneral ? <DeleteForm channel={c} onDone={() => setPanel(null)} /> : null}
    </li>
  );
}

function OwnerForm({ channel: c, onDone }: { channel: TChannel; onDone: () => void }) {
  const t = useTranslations("ChannelsAdmin");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.listAll.queryOptions());
  const [userId, setUserId] = useState("");
  const setOwner = useMutation(
    trpc.channelAdmin.setOwner.mutationOptions({
      onSuccess: async () => {
        await refetchFresh(queryClient, trpc.channelAdmin.list.pathFilter());
        onDone();
      },
    }),
  );
  const active = (users.data ?? []).filter((u) => !u.isDeactivated);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (userId) setOwner.mutate({ conversationId: c.id, userId });
  }
  return (
    <form
      className="row"
      style={{ flexBasis: "100%" }}
      aria-label={t("newOwnerOf", { name: c.name })}
      onSubmit={onSubmit}
    >
      <label className="field">
        {t("newOwner")}
        <select value={userId} onChange={(e) => setUserId(e.target.value)} required>
          <option value="">{t("choosePerson")}</option>
          {active.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name} ({u.email})
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={!userId || setOwner.isPending}>
        {t("makeOwner")}
      </button>
      <small className="muted">
        {c.kind === "public_channel" ? t("ownerJoins") : t("ownerMustBeMember")}
      </small>
      <FormError error={setOwner.error} />
    </form>
  );
}

function DeleteForm({ channel: c, onDone }: { channel: TChannel; onDone: () => void }) {
  const t = useTranslations("ChannelsAdmin");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const remove = useMutation(
    trpc.channelAdmin.delete.mutationOptions({
      onSuccess: async () => {
        onDone();
        await Promise.all([
          refetchFresh(queryClient, trpc.channelAdmin.list.pathFilter()),
          refetchFresh(queryClient, trpc.conversations.list.queryFilter()),
        ]);
      },
    }),
  );
  const matches = typed.trim().replace(/^#/, "").toLowerCase() === c.name;
  return (
    <form
      className="form"
      style={{ flexBasis: "100%" }}
      aria-label={t("deleteLabel", { label: `#${c.name}` })}
      onSubmit={(e) => {
        e.preventDefault();
        remove.mutate({ conversationId: c.id, confirmName: typed });
      }}
    >
      <p className="error">{t("deleteWarning", { name: c.name })}</p>
      <Field
        label={t("typeToConfirm", { name: c.name })}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        autoComplete="off"
      />
      <div className="row">
        <button type="submit" className="danger" disabled={!matches || remove.isPending}>
          {t("deleteChannel")}
        </button>
        <button type="button" onClick={onDone}>
          {t("cancel")}
        </button>
      </div>
      <FormError error={remove.error} />
    </form>
  );
}
