"use client";

/**
 * Admins: who may join — the sign-up mode and allowed domains — and invite links (create with
 * expiry, use limit and an optional bound e-mail; list with maker, uses and redeemers; revoke).
 * Every rule is the server's (workspace.setSignupPolicy, invites.*); this only mirrors it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFormats } from "~/i18n/format";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import { CopyValue } from "./settings-shared";
import { SsoSettings } from "./sso-section";

type TMode = "open" | "invite_only" | "domains";

const MODES: { value: TMode }[] = [{ value: "open" }, { value: "invite_only" }, { value: "domains" }];

function SignupPolicy() {
  const fieldError = useFieldError();
  const t = useTranslations("Joining");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.workspace.signupPolicy.queryOptions());
  const [mode, setMode] = useState<TMode>("invite_only");
  const [domains, setDomains] = useState("");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data) {
      setMode(current.data.mode);
      setDomains(current.data.domains.join("\n"));
    }
  }, [current.data]);
  const save = useMutation(
    trpc.workspace.setSignupPolicy.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refetchFresh(queryClient, trpc.workspace.signupPolicy.queryFilter());
        await refetchFresh(queryClient, trpc.workspace.status.queryFilter());
      },
    }),
  );
  const domainsError = fieldError(save.error, "domains");
  return (
    <form
      className="form"
      aria-label={t("signupForm")}
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        const list = domains
          .split(/[\s,]+/)
          .map((d) => d.trim())
          .filter((d) => d.length > 0);
        save.mutate({ mode, domains: list });
      }}
    >
      {/* Disabled until the saved policy is loaded: it would overwrite a choice made before. */}
      <fieldset className="field" disabled={!current.data}>
        <legend>{t("who")}</legend>
        {MODES.map((m) => (
          <label className="check" key={m.value}>
            <input
              type="radio"
              name="signup-mode"
              checked={mode === m.value}
              onChange={() => setMode(m.value)}
            />
            {t(`modes.${m.value}`)}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="signup-domains">{t("domains")}</label>
        <textarea
          id="signup-domains"
          rows={3}
          value={domains}
          disabled={!current.data}
          onChange={(e) => setDomains(e.target.value)}
          aria-describedby={domainsError ? "signup-domains-error signup-domains-hint" : "signup-domains-hint"}
          aria-invalid={domainsError ? true : undefined}
          spellCheck={false}
        />
        {domainsError ? (
          <small id="signup-domains-error" className="error field-error">
            {domainsError}
          </small>
        ) : null}
        <small id="signup-domains-hint" className="muted">
          {t("domainsHint")}
        </small>
      </div>
      <FormError error={current.error ?? save.error} fields={["domains"]} />
      <div className="row" style={{ alignItems: "center" }}>
        <button type="submit" className="primary" disabled={!current.data || save.isPending}>
          {t("saveSignup")}
        </button>
        {saved ? <span role="status">{t("saved")}</span> : null}
      </div>
    </form>
  );
}

/** The invite's limits, as the server bounds them (ZCreateInvite). */
/** `label` is the message key (Joining.*). */
const LIMIT_FIELDS = [
  { name: "expiresInDays", label: "expiresInDays", max: 365, initial: 7 },
  { name: "maxUses", label: "maxUses", max: 1000, initial: 1 },
] as const;

type TCreated = { url: string | null; email: string | null; emailed: boolean; emailError: string | null };

function Invites() {
  const fieldError = useFieldError();
  const t = useTranslations("Joining");
  const fmt = useFormats();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.invites.list.queryOptions());
  const refresh = () => refetchFresh(queryClient, trpc.invites.list.queryFilter());
  const [created, setCreated] = useState<TCreated | null>(null);
  const create = useMutation(
    trpc.invites.create.mutationOptions({
      onSuccess: async (invite) => {
        setCreated(invite);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.invites.revoke.mutationOptions({ onSuccess: refresh }));

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setCreated(null);
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    create.mutate({
      expiresInDays: Number(form.get("expiresInDays")),
      maxUses: email ? 1 : Number(form.get("maxUses")),
      ...(email ? { email } : {}),
    });
  }

  const canEmail = list.data?.canEmail ?? false;
  return (
    <>
      <h3>{t("invitesHeading")}</h3>
      <p className="muted">{canEmail ? t("invitesIntroEmail") : t("invitesIntroNoEmail")}</p>
      <form className="row" onSubmit={onSubmit} aria-label={t("createForm")}>
        {LIMIT_FIELDS.map((f) => (
          <Field
            key={f.name}
            label={t(f.label)}
            name={f.name}
            type="number"
            min={1}
            max={f.max}
            defaultValue={f.initial}
            required
            error={fieldError(create.error, f.name)}
          />
        ))}
        <Field
          label={t("email")}
          name="email"
          type="email"
          maxLength={320}
          error={fieldError(create.error, "email")}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          {t("create")}
        </button>
      </form>
      <FormError
        error={list.error ?? create.error ?? revoke.error}
        fields={["expiresInDays", "maxUses", "email"]}
      />
      {created ? (
        <div role="status" style={{ marginTop: "1rem" }}>
          {created.emailed ? (
            <p>{t("emailedTo", { email: created.email ?? "" })}</p>
          ) : (
            <>
              {created.emailError ? <p>{created.emailError}</p> : null}
              {created.url ? <CopyValue label={t("link")} value={created.url} /> : null}
            </>
          )}
        </div>
      ) : null}
      {list.data && list.data.invites.length > 0 ? (
        <ul className="list" aria-label={t("list")} style={{ marginTop: "1rem" }}>
          {list.data.invites.map((i) => (
            <li key={i.id}>
              <div className="grow">
                <div>
                  <strong>{i.email ?? t("link")}</strong> · {t(`states.${i.state}`)} ·{" "}
                  {t("uses", { uses: i.uses, max: i.maxUses })}
                </div>
                <div className="muted">
                  {t("madeBy", {
                    name: i.createdBy.name,
                    when: fmt.date(i.createdAt),
                    expires: fmt.date(i.expiresAt),
                  })}
                  {i.revokedAt
                    ? ` · ${
                        i.revokedBy
                          ? t("revokedBy", { when: fmt.date(i.revokedAt), name: i.revokedBy.name })
                          : t("revoked", { when: fmt.date(i.revokedAt) })
                      }`
                    : ""}
                  {i.emailedAt ? ` · ${t("emailed")}` : ""}
                </div>
                {i.redemptions.length > 0 ? (
                  <div className="muted">
                    {t("usedBy", {
                      people: i.redemptions
                        .map((r) => `${r.user.name} <${r.user.email}> (${fmt.date(r.redeemedAt)})`)
                        .join(", "),
                    })}
                  </div>
                ) : null}
              </div>
              {i.state === "valid" ? (
                <button
                  type="button"
                  className="danger"
                  aria-label={t("revokeInvite", {
                    what: i.email ?? t("made", { when: fmt.date(i.createdAt) }),
                  })}
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate({ id: i.id })}
                >
                  {t("revoke")}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/** Settings → Joining (admins). */
export function JoiningAdmin() {
  const t = useTranslations("Joining");
  return (
    <section className="card" aria-labelledby="joining-heading">
      <h2 id="joining-heading">{t("heading")}</h2>
      <SignupPolicy />
      <SsoSettings />
      <Invites />
    </section>
  );
}
