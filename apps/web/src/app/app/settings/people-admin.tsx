"use client";

/**
 * Settings → People (admins): search by name or e-mail, filter by role and status, pages from the
 * server; change a role, transfer ownership (the owner), deactivate and reactivate, and make a
 * password reset link to copy; edit someone's profile and avatar (ProfileEditor, audit-logged). The server decides every rule (ranks: owner > admin > member >
 * guest); the buttons shown only mirror them.
 */
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Avatar } from "~/components/avatar";
import { FormError } from "~/components/field";
import { useTRPC } from "~/trpc/react";
import { ProfileEditor } from "./profile-section";
import { CopyValue, formatDate } from "./settings-shared";

type TRole = "owner" | "admin" | "member" | "guest";
const RANK: Record<TRole, number> = { owner: 3, admin: 2, member: 1, guest: 0 };
/** The roles `me` may give (never owner: that is a transfer). */
const grantable = (me: TRole): TRole[] =>
  (["admin", "member", "guest"] as const).filter((r) => me === "owner" || RANK[r] < RANK[me]);
const outranks = (me: TRole, them: TRole) => me === "owner" || RANK[me] > RANK[them];

type TFilters = { query: string; role: TRole | ""; status: "active" | "deactivated" | "" };

/** The list's two filters: which field, its label and its options (value, text). */
const FILTER_SELECTS = [
  {
    key: "role",
    label: "Role",
    options: [
      ["", "Any role"],
      ["owner", "Owner"],
      ["admin", "Admin"],
      ["member", "Member"],
      ["guest", "Guest"],
    ],
  },
  {
    key: "status",
    label: "Status",
    options: [
      ["", "Any status"],
      ["active", "Active"],
      ["deactivated", "Deactivated"],
    ],
  },
] as const;

export function PeopleAdmin({ myId, myRole }: { myId: string; myRole: TRole }) {
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
      queryClient.invalidateQueries(trpc.users.people.pathFilter()),
      queryClient.invalidateQueries(trpc.users.list.queryFilter()),
      queryClient.invalidateQueries(trpc.users.me.queryFilter()),
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
      <h2 id="users-heading">People</h2>
      <form
        className="row"
        aria-label="Find people"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <input
          type="search"
          aria-label="Name or e-mail"
          placeholder="Name or e-mail"
          value={draft.query}
          onChange={(e) => setDraft({ ...draft, query: e.target.value })}
        />
        {FILTER_SELECTS.map(({ key, label, options }) => (
          <select
            key={key}
            aria-label={label}
            value={draft[key]}
            onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
          >
            {options.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        ))}
        <button type="submit">Search</button>
      </form>
      <FormError message={error?.message} />
      {resetLink ? (
        <div style={{ marginTop: "1rem" }}>
          <CopyValue label={`Password reset link for ${resetLink.name}`} value={resetLink.url} />
          <p className="muted">
            Works once, for an hour.{resetLink.emailed ? " It was also sent to them by e-mail." : ""}
          </p>
        </div>
      ) : null}
      {people.data && rows.length === 0 ? <p className="muted">Nobody matches.</p> : null}
      <ul className="list" aria-label="People">
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
                <span className="muted">{u.email}</span> <span className="tag">{u.role}</span>{" "}
                {u.isBot ? <span className="tag">bot</span> : null}{" "}
                {u.isDeactivated ? <span className="tag">deactivated</span> : null}{" "}
                <span className="muted">since {formatDate(u.createdAt)}</span>
              </div>
              {canAct ? (
                <select
                  aria-label={`Role of ${u.name}`}
                  value={role}
                  disabled={setRole.isPending}
                  onChange={(e) =>
                    setRole.mutate({ userId: u.id, role: e.target.value as "admin" | "member" | "guest" })
                  }
                >
                  {[...new Set([role, ...grantable(myRole)])].map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              ) : null}
              {canAct && !u.isDeactivated && !u.isBot ? (
                <button
                  type="button"
                  aria-label={`Make a password reset link for ${u.name}`}
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
                  Reset link
                </button>
              ) : null}
              {myRole === "owner" && u.id !== myId && !u.isDeactivated && role !== "guest" ? (
                <button
                  type="button"
                  aria-label={`Make ${u.name} the owner`}
                  onClick={() => {
                    if (window.confirm(`Make ${u.name} the owner? You become an admin.`)) {
                      transfer.mutate({ userId: u.id });
                    }
                  }}
                >
                  Make owner
                </button>
              ) : null}
              {canAct ? (
                <button
                  type="button"
                  aria-expanded={editing === u.id}
                  aria-label={`Edit the profile of ${u.name}`}
                  onClick={() => setEditing(editing === u.id ? null : u.id)}
                >
                  Edit profile
                </button>
              ) : null}
              {!canAct ? null : u.isDeactivated ? (
                <button
                  type="button"
                  aria-label={`Reactivate ${u.name}`}
                  onClick={() => reactivate.mutate({ userId: u.id })}
                >
                  Reactivate
                </button>
              ) : (
                <button
                  type="button"
                  className="danger"
                  aria-label={`Deactivate ${u.name}`}
                  onClick={() => deactivate.mutate({ userId: u.id })}
                >
                  Deactivate
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
          {people.isFetchingNextPage ? "Loading…" : "More people"}
        </button>
      ) : null}
    </section>
  );
}
