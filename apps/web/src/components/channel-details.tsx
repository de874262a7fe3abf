"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useErrorText, useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/** A channel's settings: topic, name, members, archive and leave. The server decides who may do what. */
export function ChannelDetails({ conversationId }: { conversationId: string }) {
  const fieldError = useFieldError();
  const t = useTranslations("ChannelDetails");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const conv = useQuery(trpc.conversations.get.queryOptions({ conversationId }));
  const members = useQuery(trpc.conversations.members.queryOptions({ conversationId }));
  const me = useQuery(trpc.users.me.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const [toAdd, setToAdd] = useState<string[]>([]);
  const refresh = () => refetchFresh(queryClient, trpc.conversations.pathFilter());
  const opts = { onSuccess: refresh };
  const rename = useMutation(trpc.conversations.rename.mutationOptions(opts));
  const setTopic = useMutation(trpc.conversations.setTopic.mutationOptions(opts));
  const archive = useMutation(trpc.conversations.archive.mutationOptions(opts));
  const unarchive = useMutation(trpc.conversations.unarchive.mutationOptions(opts));
  const removeMember = useMutation(trpc.conversations.removeMember.mutationOptions(opts));
  // The switch shows the choice from the click on (a controlled checkbox would spring back until
  // the mutation's state arrives a render later); the refetched channel takes over once saved.
  const [defaultShown, setDefaultShown] = useState<boolean | null>(null);
  const setDefault = useMutation(
    trpc.conversations.setDefault.mutationOptions({
      onSettled: async () => {
        await refresh();
        setDefaultShown(null);
      },
    }),
  );
  const addMembers = useMutation(
    trpc.conversations.addMembers.mutationOptions({
      onSuccess: async () => {
        setToAdd([]);
        await refresh();
      },
    }),
  );
  const leave = useMutation(
    trpc.conversations.leave.mutationOptions({
      onSuccess: async () => {
        await refresh();
        router.push("/app");
      },
    }),
  );

  const c = conv.data;
  if (conv.error) {
    return (
      <div className="page">
        <h1>{t("unavailable")}</h1>
        <p role="alert">{errorText(conv.error)}</p>
      </div>
    );
  }
  if (!c) return <div className="page muted">{t("loading")}</div>;

  const isAdmin = me.data?.role === "admin" || me.data?.role === "owner";
  const isManager = c.memberRole === "owner" || isAdmin;
  const memberIds = new Set((members.data ?? []).map((m) => m.userId));
  const candidates = (users.data ?? []).filter((u) => !memberIds.has(u.id));
  const error =
    rename.error ??
    setTopic.error ??
    archive.error ??
    unarchive.error ??
    removeMember.error ??
    setDefault.error ??
    addMembers.error;

  function submitRename(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    rename.mutate({ conversationId, name: String(new FormData(e.currentTarget).get("name")).trim() });
  }
  function submitTopic(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setTopic.mutate({ conversationId, topic: String(new FormData(e.currentTarget).get("topic")).trim() });
  }

  return (
    <div className="page">
      <p>
        <Link href={`/app/c/${conversationId}`}>{t("back", { name: c.name ?? "" })}</Link>
      </p>
      <h1>
        # {c.name} {c.kind === "private_channel" ? <span className="tag">{t("private")}</span> : null}{" "}
        {c.archivedAt ? <span className="tag">{t("archived")}</span> : null}
      </h1>
      {c.isGeneral ? <p className="muted">{t("everyone", { name: c.name ?? "" })}</p> : null}
      <FormError error={error} fields={["name", "topic"]} />

      <section className="card" aria-labelledby="about-heading">
        <h2 id="about-heading">{t("about")}</h2>
        <form className="row" onSubmit={submitTopic} aria-label={t("changeTopic")}>
          <Field
            label={t("topic")}
            name="topic"
            defaultValue={c.topic}
            maxLength={250}
            disabled={!c.isMember}
            error={fieldError(setTopic.error, "topic")}
          />
          <button type="submit" disabled={!c.isMember || setTopic.isPending}>
            {t("saveTopic")}
          </button>
        </form>
        {isManager ? (
          <form
            className="row"
            onSubmit={submitRename}
            aria-label={t("rename")}
            style={{ marginTop: "0.75rem" }}
          >
            <Field
              label={t("name")}
              name="name"
              defaultValue={c.name}
              required
              maxLength={80}
              error={fieldError(rename.error, "name")}
            />
            <button type="submit" disabled={rename.isPending}>
              {t("renameButton")}
            </button>
          </form>
        ) : null}
        {isAdmin && c.kind === "public_channel" && !c.isGeneral && !c.archivedAt ? (
          <label className="check" style={{ marginTop: "0.75rem" }}>
            <input
              type="checkbox"
              checked={defaultShown ?? c.isDefault}
              disabled={defaultShown !== null}
              onChange={(e) => {
                const isDefault = e.currentTarget.checked;
                setDefaultShown(isDefault);
                setDefault.mutate({ conversationId, isDefault });
              }}
            />
            {t("default")}
          </label>
        ) : null}
      </section>

      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading">{t("membersCount", { count: members.data?.length ?? "…" })}</h2>
        <ul className="list" aria-label={t("members")}>
          {(members.data ?? []).map((m) => (
            <li key={m.userId}>
              <div className="grow">
                {m.name} {m.role === "owner" ? <span className="tag">{t("owner")}</span> : null}{" "}
                {m.isDeactivated ? <span className="tag">{t("deactivated")}</span> : null}
              </div>
              {isManager && !c.isGeneral && m.userId !== me.data?.id ? (
                <button
                  type="button"
                  className="danger"
                  aria-label={t("removeName", { name: m.name })}
                  onClick={() => removeMember.mutate({ conversationId, userId: m.userId })}
                >
                  {t("remove")}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {c.isMember && !c.archivedAt && candidates.length > 0 ? (
          <form
            style={{ marginTop: "1rem" }}
            onSubmit={(e) => {
              e.preventDefault();
              if (toAdd.length > 0) addMembers.mutate({ conversationId, userIds: toAdd });
            }}
          >
            <fieldset className="list" style={{ padding: 0 }}>
              <legend style={{ fontWeight: 600, padding: "0 0.5rem" }}>{t("addPeople")}</legend>
              {candidates.map((u) => (
                <label key={u.id} className="check" style={{ padding: "0.4rem 0.9rem" }}>
                  <input
                    type="checkbox"
                    checked={toAdd.includes(u.id)}
                    onChange={() =>
                      setToAdd((l) => (l.includes(u.id) ? l.filter((x) => x !== u.id) : [...l, u.id]))
                    }
                  />
                  {u.name} <span className="muted">{u.email}</span>
                </label>
              ))}
            </fieldset>
            <p>
              <button type="submit" className="primary" disabled={toAdd.length === 0 || addMembers.isPending}>
                {t("add")}
              </button>
            </p>
          </form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="danger-heading">
        <h2 id="danger-heading">{t("danger")}</h2>
        <div className="row">
          {c.isGeneral ? <p className="muted">{t("cannotLeave", { name: c.name ?? "" })}</p> : null}
          {c.isMember && !c.isGeneral ? (
            <button type="button" onClick={() => leave.mutate({ conversationId })} disabled={leave.isPending}>
              {t("leave")}
            </button>
          ) : null}
          {isManager && !c.isGeneral && !c.archivedAt ? (
            <button type="button" className="danger" onClick={() => archive.mutate({ conversationId })}>
              {t("archive")}
            </button>
          ) : null}
          {isManager && c.archivedAt ? (
            <button type="button" onClick={() => unarchive.mutate({ conversationId })}>
              {t("unarchive")}
            </button>
          ) : null}
        </div>
        <FormError error={leave.error} />
      </section>
    </div>
  );
}
