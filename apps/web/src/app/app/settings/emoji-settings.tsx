"use client";

/**
 * Settings → Custom emoji: everyone sees the workspace's emoji; members add them (unless an admin
 * restricted adding to admins; never guests), their creator or an admin deletes them. The server
 * decides every rule (emoji.*); this form only mirrors the policy it reports.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { CustomEmojiImage } from "~/components/emoji-glyph";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { customEmojiUrl } from "~/lib/custom-emoji";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/** Reads a file as base64 (without the data: prefix). */
function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read"));
    reader.readAsDataURL(file);
  });
}

export function EmojiSettings({ myId, isAdmin }: { myId: string; isAdmin: boolean }) {
  const fieldError = useFieldError();
  const t = useTranslations("EmojiSettings");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.emoji.list.queryOptions());
  const policy = useQuery(trpc.emoji.policy.queryOptions());
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [readError, setReadError] = useState<string | null>(null);
  const refresh = () => refetchFresh(queryClient, trpc.emoji.pathFilter());
  const create = useMutation(
    trpc.emoji.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        setFile(null);
        setFileKey((k) => k + 1);
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.emoji.delete.mutationOptions({ onSuccess: refresh }));
  const setPolicy = useMutation(trpc.emoji.setPolicy.mutationOptions({ onSuccess: refresh }));

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setReadError(null);
    if (!file) {
      setReadError(t("chooseImage"));
      return;
    }
    try {
      create.mutate({ name, image: await base64Of(file) });
    } catch {
      setReadError(t("unreadable"));
    }
  }

  return (
    <section className="card" aria-labelledby="emoji-heading">
      <h2 id="emoji-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      {policy.data?.mayAdd ? (
        <form className="form" aria-label={t("addLabel")} onSubmit={onSubmit}>
          <Field
            label={t("name")}
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={66}
            hint={t("nameHint")}
            error={fieldError(create.error, "name")}
          />
          <label className="field">
            <span>{t("image")}</span>
            <input
              key={fileKey}
              type="file"
              accept="image/png,image/jpeg,image/gif,image/webp"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <FormError message={readError} error={create.error} fields={["name"]} />
          <div className="row">
            <button type="submit" className="primary" disabled={create.isPending}>
              {t("add")}
            </button>
          </div>
        </form>
      ) : policy.data ? (
        <p className="muted">{t("adminsOnlyNote")}</p>
      ) : null}
      {isAdmin && policy.data ? (
        <label className="check">
          <input
            type="checkbox"
            checked={policy.data.adminsOnly}
            disabled={setPolicy.isPending}
            onChange={(e) => setPolicy.mutate({ adminsOnly: e.target.checked })}
          />
          {t("adminsOnly")}
        </label>
      ) : null}
      <FormError error={remove.error ?? setPolicy.error} />
      {list.data && list.data.length > 0 ? (
        <ul className="emoji-admin-list" aria-label={t("heading")}>
          {list.data.map((e) => (
            <li key={e.id}>
              <CustomEmojiImage src={customEmojiUrl(e.id)} alt={`:${e.name}:`} />
              <code>:{e.name}:</code>
              {isAdmin || e.createdById === myId ? (
                <button
                  type="button"
                  className="quiet"
                  aria-label={t("deleteName", { name: e.name })}
                  disabled={remove.isPending}
                  onClick={() => remove.mutate({ name: e.name })}
                >
                  {t("delete")}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : list.data ? (
        <p className="muted">{t("empty")}</p>
      ) : null}
    </section>
  );
}
