"use client";

/**
 * Admins: who may join — the sign-up mode and allowed domains — and invite links (create with
 * expiry, use limit and an optional bound e-mail; list with maker, uses and redeemers; revoke).
 * Every rule is the server's (workspace.setSignupPolicy, invites.*); this only mirrors it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { fieldError, formErrorMessage } from "~/lib/field-errors";
import { useTRPC } from "~/trpc/react";
import { CopyValue, formatDate } from "./settings-shared";
import { SsoSettings } from "./sso-section";

type TMode = "open" | "invite_only" | "domains";

const MODES: { value: TMode; label: string }[] = [
  { value: "open", label: "Anyone with the address of this server" },
  { value: "invite_only", label: "Only people with an invitation" },
  { value: "domains", label: "People with an e-mail address at an allowed domain (others need an invite)" },
];

const STATE_LABELS = {
  valid: "active",
  expired: "expired",
  used_up: "used up",
  revoked: "revoked",
  unknown: "unknown",
} as const;

function SignupPolicy() {
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
        await queryClient.invalidateQueries(trpc.workspace.signupPolicy.queryFilter());
        await queryClient.invalidateQueries(trpc.workspace.status.queryFilter());
      },
    }),
  );
  const domainsError = fieldError(save.error, "domains");
  return (
    <form
      className="form"
      aria-label="Sign-up settings"
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
        <legend>Who can sign up</legend>
        {MODES.map((m) => (
          <label className="check" key={m.value}>
            <input
              type="radio"
              name="signup-mode"
              checked={mode === m.value}
              onChange={() => setMode(m.value)}
            />
            {m.label}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="signup-domains">Allowed domains (one per line)</label>
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
          For example example.com. Matched exactly: example.com does not admit sub.example.com.
        </small>
      </div>
      <FormError message={current.error?.message ?? formErrorMessage(save.error, ["domains"])} />
      <div className="row" style={{ alignItems: "center" }}>
        <button type="submit" className="primary" disabled={!current.data || save.isPending}>
          Save sign-up settings
        </button>
        {saved ? <span role="status">Saved.</span> : null}
      </div>
    </form>
  );
}

/** The invite's limits, as the server bounds them (ZCreateInvite). */
const LIMIT_FIELDS = [
  { name: "expiresInDays", label: "Expires in days", max: 365, initial: 7 },
  { name: "maxUses", label: "Uses", max: 1000, initial: 1 },
] as const;

type TCreated = { url: string | null; email: string | null; emailed: boolean; emailError: string | null };

function Invites() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.invites.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries(trpc.invites.list.queryFilter());
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
      <h3>Invite links</h3>
      <p className="muted">
        Anyone with a link can create an account until it expires, is used up or is revoked. An invite with an
        e-mail address works only for that address
        {canEmail
          ? " and is e-mailed to it."
          : "; this server has no e-mail (SMTP), so copy the link and send it."}
      </p>
      <form className="row" onSubmit={onSubmit} aria-label="Create invite">
        {LIMIT_FIELDS.map((f) => (
          <Field
            key={f.name}
            label={f.label}
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
          label="E-mail (optional)"
          name="email"
          type="email"
          maxLength={320}
          error={fieldError(create.error, "email")}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create invite link
        </button>
      </form>
      <FormError
        message={
          list.error?.message ??
          formErrorMessage(create.error, ["expiresInDays", "maxUses", "email"]) ??
          revoke.error?.message
        }
      />
      {created ? (
        <div role="status" style={{ marginTop: "1rem" }}>
          {created.emailed ? (
            <p>Invite e-mailed to {created.email}.</p>
          ) : (
            <>
              {created.emailError ? <p>{created.emailError}</p> : null}
              {created.url ? <CopyValue label="Invite link" value={created.url} /> : null}
            </>
          )}
        </div>
      ) : null}
      {list.data && list.data.invites.length > 0 ? (
        <ul className="list" aria-label="Invites" style={{ marginTop: "1rem" }}>
          {list.data.invites.map((i) => (
            <li key={i.id}>
              <div className="grow">
                <div>
                  <strong>{i.email ?? "Invite link"}</strong> · {STATE_LABELS[i.state]} · {i.uses} of{" "}
                  {i.maxUses} {i.maxUses === 1 ? "use" : "uses"}
                </div>
                <div className="muted">
                  by {i.createdBy.name} on {formatDate(i.createdAt)} · expires {formatDate(i.expiresAt)}
                  {i.revokedAt
                    ? ` · revoked ${formatDate(i.revokedAt)}${i.revokedBy ? ` by ${i.revokedBy.name}` : ""}`
                    : ""}
                  {i.emailedAt ? " · e-mailed" : ""}
                </div>
                {i.redemptions.length > 0 ? (
                  <div className="muted">
                    Used by{" "}
                    {i.redemptions
                      .map((r) => `${r.user.name} <${r.user.email}> (${formatDate(r.redeemedAt)})`)
                      .join(", ")}
                  </div>
                ) : null}
              </div>
              {i.state === "valid" ? (
                <button
                  type="button"
                  className="danger"
                  aria-label={`Revoke invite ${i.email ?? `made ${formatDate(i.createdAt)}`}`}
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate({ id: i.id })}
                >
                  Revoke
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
  return (
    <section className="card" aria-labelledby="joining-heading">
      <h2 id="joining-heading">Joining</h2>
      <SignupPolicy />
      <SsoSettings />
      <Invites />
    </section>
  );
}
