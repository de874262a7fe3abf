"use client";

/**
 * Settings → Profile: display name, title, pronouns, time zone and avatar (profile.* procedures;
 * every check is the server's). `ProfileEditor` also serves People admin, with `userId` of someone
 * the admin outranks (the server audit-logs those changes).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type FormEvent, useId, useMemo, useRef, useState } from "react";
import { Avatar } from "~/components/avatar";
import { Field, FormError } from "~/components/field";
import { useErrorText, useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { putWithProgress } from "~/lib/upload";
import { useTRPC, useTRPCClient } from "~/trpc/react";

/** Types the server accepts (it checks the bytes too). */
const AVATAR_ACCEPT = "image/png,image/jpeg,image/gif,image/webp";

function timeZones(current: string): string[] {
  const zones = new Set(["UTC", ...Intl.supportedValuesOf("timeZone")]);
  zones.add(current);
  return [...zones];
}

/** Uploads `file` as the avatar: presigned PUT, then the server verifies it and makes thumbnails. */
function useAvatarUpload(userId: string | undefined) {
  const trpcClient = useTRPCClient();
  return useMutation({
    mutationFn: async (file: File) => {
      const ticket = await trpcClient.profile.createAvatarUpload.mutate({
        ...(userId ? { userId } : {}),
        size: file.size,
        mime: file.type || "application/octet-stream",
      });
      await putWithProgress(ticket.upload, file, () => {}, new AbortController().signal);
      return trpcClient.profile.completeAvatarUpload.mutate(userId ? { userId } : {});
    },
  });
}

export function ProfileEditor({ userId, label }: { userId?: string; label: string }) {
  const fieldError = useFieldError();
  const t = useTranslations("Profile");
  const errorText = useErrorText();
  const router = useRouter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = userId ? { userId } : {};
  const profile = useQuery(trpc.profile.get.queryOptions(ref));
  const fileInput = useRef<HTMLInputElement>(null);
  const fileId = useId();
  const [saved, setSaved] = useState(false);
  const refresh = () =>
    Promise.all([
      refetchFresh(queryClient, trpc.profile.get.pathFilter()),
      refetchFresh(queryClient, trpc.users.pathFilter()),
      refetchFresh(queryClient, trpc.conversations.members.pathFilter()),
    ]);
  const update = useMutation(
    trpc.profile.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refresh();
        // My own time zone: dates on every page follow it (i18n/request.ts renders with it).
        if (!userId) router.refresh();
      },
    }),
  );
  const upload = useAvatarUpload(userId);
  const remove = useMutation(trpc.profile.removeAvatar.mutationOptions({ onSuccess: refresh }));
  const zones = useMemo(() => timeZones(profile.data?.timeZone ?? "UTC"), [profile.data?.timeZone]);

  if (!profile.data) return <p className="muted">{errorText(profile.error, t("loading"))}</p>;
  const p = profile.data;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSaved(false);
    const form = new FormData(e.currentTarget);
    update.mutate({
      ...ref,
      name: String(form.get("name")),
      title: String(form.get("title")),
      pronouns: String(form.get("pronouns")),
      timeZone: String(form.get("timeZone")),
    });
  }

  return (
    <div className="profile-editor">
      <div className="avatar-row">
        <Avatar userId={p.userId} avatarId={p.avatarId} name={p.name} size="lg" />
        <div>
          <button type="button" onClick={() => fileInput.current?.click()} disabled={upload.isPending}>
            {upload.isPending ? t("uploading") : t("upload")}
          </button>
          <input
            ref={fileInput}
            type="file"
            accept={AVATAR_ACCEPT}
            aria-label={t("avatarFor", { label })}
            hidden
            disabled={upload.isPending}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (file) upload.mutate(file, { onSuccess: refresh });
            }}
          />{" "}
          {p.avatarId ? (
            <button type="button" onClick={() => remove.mutate(ref)} disabled={remove.isPending}>
              {t("removeAvatar")}
            </button>
          ) : null}
          <p className="muted">{t("avatarHint")}</p>
          <FormError error={upload.error ?? remove.error} />
        </div>
      </div>
      <form onSubmit={onSubmit} aria-label={t("profileOf", { label })} key={JSON.stringify(p)}>
        <Field
          label={t("name")}
          name="name"
          defaultValue={p.name}
          required
          maxLength={80}
          error={fieldError(update.error, "name")}
        />
        <Field
          label={t("title")}
          name="title"
          defaultValue={p.title}
          maxLength={100}
          placeholder={t("titlePlaceholder")}
          error={fieldError(update.error, "title")}
        />
        <Field
          label={t("pronouns")}
          name="pronouns"
          defaultValue={p.pronouns}
          maxLength={40}
          placeholder={t("pronounsPlaceholder")}
          error={fieldError(update.error, "pronouns")}
        />
        <div className="field">
          <label htmlFor={`${fileId}-tz`}>{t("timeZone")}</label>
          <select id={`${fileId}-tz`} name="timeZone" defaultValue={p.timeZone}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
          <small className="muted">{t("timeZoneHint")}</small>
        </div>
        <button type="submit" className="primary" disabled={update.isPending}>
          {t("save")}
        </button>{" "}
        {saved && !update.isPending ? <span role="status">{t("saved")}</span> : null}
        <FormError error={update.error} fields={["name", "title", "pronouns", "timeZone"]} />
      </form>
    </div>
  );
}

/** Your profile, with your e-mail and role (which only an admin changes). */
export function ProfileSettings() {
  const t = useTranslations("Profile");
  const trpc = useTRPC();
  const me = useQuery(trpc.users.me.queryOptions());
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">{t("heading")}</h2>
      {me.data ? (
        <>
          <p className="muted">
            {me.data.email} · {t(`roles.${me.data.role}`)}
          </p>
          <ProfileEditor label={t("you")} />
        </>
      ) : (
        <p className="muted">{t("loading")}</p>
      )}
    </section>
  );
}
