"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import type { FormEvent } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export default function NewChannelPage() {
  const fieldError = useFieldError();
  const t = useTranslations("NewChannel");
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.conversations.create.mutationOptions({
      onSuccess: async (created) => {
        await refetchFresh(queryClient, trpc.conversations.pathFilter());
        router.push(`/app/c/${created.id}`);
      },
    }),
  );

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const topic = String(form.get("topic") ?? "").trim();
    create.mutate({
      name: String(form.get("name")).trim(),
      isPrivate: form.get("isPrivate") === "on",
      ...(topic ? { topic } : {}),
    });
  }

  return (
    <div className="page">
      <h1>{t("heading")}</h1>
      <form className="form" onSubmit={onSubmit} style={{ maxWidth: 480 }}>
        <Field
          label={t("name")}
          name="name"
          required
          maxLength={80}
          autoFocus
          error={fieldError(create.error, "name")}
          hint={t("nameHint")}
        />
        <Field label={t("topic")} name="topic" maxLength={250} error={fieldError(create.error, "topic")} />
        <label className="check">
          <input type="checkbox" name="isPrivate" />
          {t("private")}
        </label>
        <FormError error={create.error} fields={["name", "topic"]} />
        <div>
          <button className="primary" type="submit" disabled={create.isPending}>
            {create.isPending ? t("creating") : t("create")}
          </button>
        </div>
      </form>
    </div>
  );
}
