"use client";

/**
 * Settings → People (admins): search by name or e-mail, filter by role and status, pages from the
 * server; change a role, transfer ownership (the owner), deactivate and reactivate, and make a
 * password reset link to copy; edit someone's profile and avatar (ProfileEditor, audit-logged). The server decides every rule (ranks: owner > admin > member >
 * guest); the buttons shown only mirror them.
 */
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Avatar } from "~/components/avatar";
import { FormError } from "~/components/field";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import { ProfileEditor } from "./profile-section";
import { CopyValue, When } from "./settings-shared";

type TRole = "owner" | "admin" | "member" | "guest";
const RANK: Record<TRole, number> = { owner: 3, admin: 2, member: 1, guest: 0 };
/** The roles `me` may give (never owner: that is a transfer). */
const grantable = (me: TRole): TRole[] =>
  (["admin", "member", "guest"] as const).filter((r) => me === "owner" || RANK[r] < RANK[me]);
const outranks = (me: TRole, them: TRole) => me === "owner" || RANK[me] > RANK[them];

type TFilters = { query: string; role: TRole | ""; status: "active" | "deactivated" | "" };

/** The list's two filters: which field, its label and its options (value, text). */
/** The filters; labels and option texts are message keys (People.filters.*). */
const FILTER_SELECTS = [
  {
    key: "role",
    label: "role",
    options: [
      ["", "anyRole"],
      ["owner", "owner"],
      ["admin", "admin"],
      ["member", "member"],
      ["guest", "guest"],
    ],
  },
  {
    key: "status",
    label: "status",
    options: [
      ["", "anyStatus"],
      ["active", "active"],
      ["deactivated", "deactivated"],
    ],
  },
] as const;

export function PeopleAdmin({ myId, myRole }: { myId: string; myRole: TRole }) {
  const t = useTranslations("People");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<TFilters>({ query: "", role: "", status: "" });
  const [filters, setFilters] = useState<TFilters>(draft);
  const [resetLink, setResetLink] = useState<{ name: string; url: string; emailed: boolean } | null>(null);
  /** The person whose profile is open for editing. */
  const [editing, setEditing] = useState<string | null>(null);
  const people = useInfiniteQuery(
    trpc.users.people.infiniteQueryOptions(
      {
        ...(filters.query.trim() ? { query: filters.query.trim() } : {}),
        ...(filters.role ? { role: filters.role } : {}),
        ...(filters.status ? { status: filters.status } : {}),
        limit: 25,
      },
      { getNextPageParam: (last) => last.nextCursor ?? undefined, retry: false },
    ),
  );
  const refresh = () =>
    Promise.all([
      refetchFresh(queryClient, trpc.users.people.pathFilter()),
      refetchFresh(queryClient, trpc.users.list.queryFilter()),
      refetchFresh(queryClient, trpc.users.me.queryFilter()),
    ]);
  const deactivate = useMutation(trpc.users.deactivate.mutationOptions({ onSuccess: refresh }));
  const reactivate = useMutation(trpc.users.reactivate.mutationOptions({ onSuccess: refresh }));
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: refresh }));
  const transfer = useMutation(trpc.users.transferOwnership.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.users.createPasswordReset.mutationOptions());
  const error = [people, deactivate, reactivate, setRole, transfer, reset].find((q) => q.error)?.error;
  const rows = people.data?.pages.flatMap((p) => p.people) ?? [];

  return (
    <section className="card" aria-labelledby="users-heading">
      <h2 id="users-heading">{t("heading")}</h2>
      <form
        className="row"
        aria-label={t("find")}
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <input
          type="search"
          aria-label={t("query")}
          placeholder={t("query")}
          value={draft.query}
          onChange={(e) => setDraft({ ...draft, query: e.target.value })}
        />
        {FILTER_SELECTS.map(({ key, label, options }) => (
          <select
            key={key}
            aria-label={t(`filters.${label}`)}
            value={draft[key]}
            onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
          >
            {options.map(([value, text]) => (
              <option key={value} value={value}>
                {t(`filters.${text}`)}
              </option>
            ))}
          </select>
        ))}
        <button type="submit">{t("search")}</button>
      </form>
      <FormError error={error} />
      {resetLink ? (
        <div style={{ marginTop: "1rem" }}>
          <CopyValue label={t("resetLinkFor", { name: resetLink.name })} value={resetLink.url} />
          <p className="muted">
            {t("worksOnce")}
            {resetLink.emailed ? ` ${t("emailed")}` : ""}
          </p>
        </div>
      ) : null}
      {people.data && rows.length === 0 ? <p className="muted">{t("nobody")}</p> : null}
      <ul className="list" aria-label={t("heading")}>
        {rows.map((u) => {
          const role = u.role as TRole;
          const canAct = u.id !== myId && outranks(myRole, role) && role !== "owner";
          return (
            <li key={u.id} style={{ flexWrap: "wrap" }}>
              <Avatar userId={u.id} avatarId={u.avatarId} name={u.name} />
              <div className="grow">
                <strong>{u.name}</strong>
                {u.pronouns ? <span className="muted"> ({u.pronouns})</span> : null}
                {u.title ? <span className="muted"> · {u.title}</span> : null}{" "}
                <span className="muted">{u.email}</span> <span className="tag">{t(`roles.${role}`)}</span>{" "}
                {u.isBot ? <span className="tag">{t("bot")}</span> : null}{" "}
                {u.isDeactivated ? <span className="tag">{t("deactivatedTag")}</span> : null}{" "}
                <span className="muted">{t.rich("since", { when: () => <When value={u.createdAt} /> })}</span>
              </div>
              {canAct ? (
                <select
                  aria-label={t("roleOf", { name: u.name })}
                  value={role}
                  disabled={setRole.isPending}
                  onChange={(e) =>
                    setRole.mutate({ userId: u.id, role: e.target.value as "admin" | "member" | "guest" })
                  }
                >
                  {[...new Set([role, ...grantable(myRole)])].map((r) => (
                    <option key={r} value={r}>
                      {t(`roles.${r}`)}
                    </option>
                  ))}
                </select>
              ) : null}
              {canAct && !u.isDeactivated && !u.isBot ? (
                <button
                  type="button"
                  aria-label={t("makeResetLink", { name: u.name })}
                  onClick={() =>
                    reset.mutate(
                      { userId: u.id },
                      {
                        onSuccess: (link) =>
                          setResetLink({ name: u.name, url: link.url, emailed: link.emailed }),
                      },
                    )
                  }
                >
                  {t("resetLink")}
                </button>
              ) : null}
              {myRole === "owner" && u.id !== myId && !u.isDeactivated && role !== "guest" ? (
                <button
                  type="button"
                  aria-label={t("makeOwnerLabel", { name: u.name })}
                  onClick={() => {
                    if (window.confirm(t("confirmOwner", { name: u.name }))) {
                      transfer.mutate({ userId: u.id });
                    }
                  }}
                >
                  {t("makeOwner")}
                </button>
              ) : null}
              {canAct ? (
                <button
                  type="button"
                  aria-expanded={editing === u.id}
                  aria-label={t("editProfileOf", { name: u.name })}
                  onClick={() => setEditing(editing === u.id ? null : u.id)}
                >
                  {t("editProfile")}
                </button>
              ) : null}
              {!canAct ? null : u.isDeactivated ? (
                <button
                  type="button"
                  aria-label={t("reactivateName", { name: u.name })}
                  onClick={() => reactivate.mutate({ userId: u.id })}
                >
                  {t("reactivate")}
                </button>
              ) : (
                <button
                  type="button"
                  className="danger"
                  aria-label={t("deactivateName", { name: u.name })}
                  onClick={() => deactivate.mutate({ userId: u.id })}
                >
                  {t("deactivate")}
                </button>
              )}
              {canAct && editing === u.id ? (
                <div style={{ flexBasis: "100%" }}>
                  <ProfileEditor userId={u.id} label={u.name} />
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      {people.hasNextPage ? (
        <button type="button" onClick={() => people.fetchNextPage()} disabled={people.isFetchingNextPage}>
          {people.isFetchingNextPage ? t("loading") : t("more")}
        </button>
      ) : null}
    </section>
  );
}
