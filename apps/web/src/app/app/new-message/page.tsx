"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { FormError } from "~/components/field";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export default function NewMessagePage() {
  const t = useTranslations("NewMessage");
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.users.me.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const [picked, setPicked] = useState<string[]>([]);
  const [filter, setFilter] = useState("");
  const open = useMutation(
    trpc.conversations.openDm.mutationOptions({
      onSuccess: async (conv) => {
        await refetchFresh(queryClient, trpc.conversations.pathFilter());
        router.push(`/app/c/${conv.id}`);
      },
    }),
  );

  const others = (users.data ?? []).filter(
    (u) => u.id !== me.data?.id && `${u.name} ${u.email}`.toLowerCase().includes(filter.toLowerCase()),
  );

  function toggle(id: string) {
    setPicked((list) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]));
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (picked.length > 0) open.mutate({ userIds: picked });
  }

  return (
    <div className="page">
      <h1>{t("heading")}</h1>
      <form className="form" onSubmit={onSubmit} style={{ maxWidth: 560 }}>
        <div className="field">
          <label htmlFor="people-filter">{t("find")}</label>
          <input
            id="people-filter"
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder={t("placeholder")}
          />
        </div>
        <fieldset className="list" style={{ padding: 0 }}>
          <legend className="visually-hidden">{t("people")}</legend>
          {others.length === 0 ? (
            <p className="muted" style={{ padding: "0.6rem 0.9rem" }}>
              {t("nobody")}
            </p>
          ) : null}
          {others.map((u) => (
            <label key={u.id} className="check" style={{ padding: "0.5rem 0.9rem" }}>
              <input type="checkbox" checked={picked.includes(u.id)} onChange={() => toggle(u.id)} />
              <span>
                {u.name} <span className="muted">{u.email}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <FormError error={open.error ?? users.error} />
        <div>
          <button className="primary" type="submit" disabled={picked.length === 0 || open.isPending}>
            {picked.length > 1 ? t("startGroup") : t("start")}
          </button>
        </div>
      </form>
    </div>
  );
}
