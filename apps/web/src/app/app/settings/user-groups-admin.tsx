"use client";

/**
 * Settings → User groups (admins): `@handle` mentions every member of the group who is in the
 * conversation. Create, change (handle, name, members) and delete; core checks and audit-logs each.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

type TGroupDraft = { groupId?: string; handle: string; name: string; memberIds: string[] };

const EMPTY: TGroupDraft = { handle: "", name: "", memberIds: [] };

function GroupForm({ initial, onDone }: { initial: TGroupDraft; onDone: () => void }) {
  const fieldError = useFieldError();
  const t = useTranslations("UserGroups");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const people = useQuery(trpc.users.list.queryOptions());
  const [draft, setDraft] = useState(initial);
  const options = {
    onSuccess: async () => {
      await refetchFresh(queryClient, trpc.userGroups.pathFilter());
      onDone();
    },
  };
  const create = useMutation(trpc.userGroups.create.mutationOptions(options));
  const update = useMutation(trpc.userGroups.update.mutationOptions(options));
  const error = create.error ?? update.error;
  const isEdit = Boolean(draft.groupId);
  return (
    <form
      className="form"
      aria-label={isEdit ? t("editHandle", { handle: initial.handle }) : t("new")}
      onSubmit={(e) => {
        e.preventDefault();
        const { groupId, ...fields } = draft;
        if (groupId) update.mutate({ groupId, ...fields });
        else create.mutate(fields);
      }}
    >
      <Field
        label={t("handle")}
        value={draft.handle}
        onChange={(e) => setDraft({ ...draft, handle: e.target.value })}
        required
        maxLength={81}
        hint={t("handleHint")}
        error={fieldError(error, "handle")}
      />
      <Field
        label={t("name")}
        value={draft.name}
        onChange={(e) => setDraft({ ...draft, name: e.target.value })}
        required
        maxLength={80}
        error={fieldError(error, "name")}
      />
      <fieldset className="field group-members">
        <legend>{t("members")}</legend>
        {(people.data ?? []).map((p) => (
          <label key={p.id} className="check">
            <input
              type="checkbox"
              checked={draft.memberIds.includes(p.id)}
              onChange={(e) =>
                setDraft({
                  ...draft,
                  memberIds: e.target.checked
                    ? [...draft.memberIds, p.id]
                    : draft.memberIds.filter((id) => id !== p.id),
                })
              }
            />
            {p.name}
          </label>
        ))}
      </fieldset>
      <FormError error={error} fields={["handle", "name"]} />
      <div className="row">
        <button type="submit" className="primary" disabled={create.isPending || update.isPending}>
          {isEdit ? t("save") : t("create")}
        </button>
        {isEdit ? (
          <button type="button" className="quiet" onClick={onDone}>
            {t("cancel")}
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function UserGroupsAdmin() {
  const t = useTranslations("UserGroups");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const groups = useQuery(trpc.userGroups.list.queryOptions());
  const [editing, setEditing] = useState<TGroupDraft | null>(null);
  const [formKey, setFormKey] = useState(0);
  const remove = useMutation(
    trpc.userGroups.delete.mutationOptions({
      onSuccess: () => refetchFresh(queryClient, trpc.userGroups.pathFilter()),
    }),
  );
  return (
    <section className="card" aria-labelledby="groups-heading">
      <h2 id="groups-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      {editing ? (
        <GroupForm key={editing.groupId} initial={editing} onDone={() => setEditing(null)} />
      ) : (
        <GroupForm key={`new-${formKey}`} initial={EMPTY} onDone={() => setFormKey((k) => k + 1)} />
      )}
      <FormError error={remove.error} />
      <ul className="group-list" aria-label={t("heading")}>
        {(groups.data ?? []).map((g) => (
          <li key={g.id}>
            <strong>@{g.handle}</strong> {g.name}{" "}
            <span className="muted">({t("memberCount", { count: g.memberCount })})</span>{" "}
            <button
              type="button"
              className="quiet"
              onClick={() =>
                setEditing({ groupId: g.id, handle: g.handle, name: g.name, memberIds: g.memberIds })
              }
            >
              {t("edit")}
            </button>
            <button
              type="button"
              className="quiet"
              aria-label={t("deleteHandle", { handle: g.handle })}
              disabled={remove.isPending}
              onClick={() => remove.mutate({ groupId: g.id })}
            >
              {t("delete")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
