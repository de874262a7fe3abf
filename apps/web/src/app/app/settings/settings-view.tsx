"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { fieldError, formErrorMessage } from "~/lib/field-errors";
import { useTRPC } from "~/trpc/react";

function formatDate(value: Date | string | null | undefined): string {
  return value ? new Date(value).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "never";
}

/** A secret or link shown once, with a copy button. */
function CopyValue({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const id = `copy-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input
          id={id}
          type="text"
          readOnly
          value={value}
          className="secret"
          onFocus={(e) => e.target.select()}
        />
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  );
}

function Profile() {
  const trpc = useTRPC();
  const me = useQuery(trpc.users.me.queryOptions());
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      {me.data ? (
        <dl>
          <dt className="muted">Name</dt>
          <dd>{me.data.name}</dd>
          <dt className="muted">Email</dt>
          <dd>{me.data.email}</dd>
          <dt className="muted">Role</dt>
          <dd>{me.data.role}</dd>
        </dl>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </section>
  );
}

function Sessions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.sessions.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries(trpc.sessions.list.queryFilter());
  const revoke = useMutation(trpc.sessions.revoke.mutationOptions({ onSuccess: refresh }));
  const revokeOthers = useMutation(trpc.sessions.revokeOthers.mutationOptions({ onSuccess: refresh }));
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p className="muted">
        Browsers signed in to your account. Revoking one signs it out at its next request.
      </p>
      <FormError message={sessions.error?.message ?? revoke.error?.message ?? revokeOthers.error?.message} />
      <ul className="list" aria-label="Sessions">
        {(sessions.data ?? []).map((s) => (
          <li key={s.id}>
            <div className="grow">
              <div>
                {s.userAgent ?? "Unknown browser"}{" "}
                {s.isCurrent ? <span className="tag">this browser</span> : null}
              </div>
              <div className="muted">
                {s.ip ?? "unknown address"} · signed in {formatDate(s.createdAt)} · last seen{" "}
                {formatDate(s.lastSeenAt)}
              </div>
            </div>
            {s.isCurrent ? null : (
              <button type="button" className="danger" onClick={() => revoke.mutate({ id: s.id })}>
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      <p>
        <button type="button" onClick={() => revokeOthers.mutate()} disabled={revokeOthers.isPending}>
          Sign out all other sessions
        </button>
      </p>
    </section>
  );
}

function Tokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries(trpc.tokens.list.queryFilter());
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: async (t) => {
        setCreated({ name: t.name, token: t.token });
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const days = Number(form.get("expiresInDays"));
    create.mutate({ name: String(form.get("name")).trim(), ...(days > 0 ? { expiresInDays: days } : {}) });
    e.currentTarget.reset();
  }

  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Personal access tokens</h2>
      <p className="muted">
        For scripts and bots: send <code>Authorization: Bearer &lt;token&gt;</code> to the API.
      </p>
      <form className="row" onSubmit={onSubmit} aria-label="Create token">
        <Field
          label="Token name"
          name="name"
          required
          maxLength={80}
          error={fieldError(create.error, "name")}
        />
        <Field
          label="Expires in days (optional)"
          name="expiresInDays"
          type="number"
          min={1}
          max={3650}
          error={fieldError(create.error, "expiresInDays")}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {created ? (
        <div role="status" style={{ marginTop: "1rem" }}>
          <p>
            <strong>Copy your new token “{created.name}” now.</strong> It will not be shown again.
          </p>
          <CopyValue label="New token" value={created.token} />
        </div>
      ) : null}
      <FormError
        message={
          tokens.error?.message ??
          formErrorMessage(create.error, ["name", "expiresInDays"]) ??
          revoke.error?.message
        }
      />
      {tokens.data && tokens.data.length > 0 ? (
        <ul className="list" aria-label="Tokens" style={{ marginTop: "1rem" }}>
          {tokens.data.map((t) => (
            <li key={t.id}>
              <div className="grow">
                <div>
                  <strong>{t.name}</strong> <code>{t.prefix}…</code>
                </div>
                <div className="muted">
                  created {formatDate(t.createdAt)} · last used {formatDate(t.lastUsedAt)}
                  {t.expiresAt ? ` · expires ${formatDate(t.expiresAt)}` : ""}
                </div>
              </div>
              <button
                type="button"
                className="danger"
                aria-label={`Revoke token ${t.name}`}
                onClick={() => revoke.mutate({ id: t.id })}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function Invites() {
  const trpc = useTRPC();
  const [link, setLink] = useState<string | null>(null);
  const create = useMutation(
    trpc.auth.createInvite.mutationOptions({
      onSuccess: ({ token }) =>
        setLink(`${window.location.origin}/sign-up?invite=${encodeURIComponent(token)}`),
    }),
  );
  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite people</h2>
      <p className="muted">Anyone with the link can create an account in this workspace.</p>
      <button type="button" className="primary" onClick={() => create.mutate()} disabled={create.isPending}>
        Create invite link
      </button>
      <FormError message={create.error?.message} />
      {link ? (
        <div style={{ marginTop: "1rem" }}>
          <CopyValue label="Invite link" value={link} />
        </div>
      ) : null}
    </section>
  );
}

function WorkspaceAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.workspace.status.queryOptions());
  const [name, setName] = useState("");
  const [isOpen, setOpen] = useState(false);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (status.data) {
      setName(status.data.name ?? "");
      setOpen(status.data.allowOpenSignup);
    }
  }, [status.data]);
  const update = useMutation(
    trpc.workspace.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await queryClient.invalidateQueries(trpc.workspace.status.queryFilter());
      },
    }),
  );
  return (
    <section className="card" aria-labelledby="workspace-heading">
      <h2 id="workspace-heading">Workspace</h2>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          update.mutate({ name: name.trim(), allowOpenSignup: isOpen });
        }}
      >
        <Field
          label="Workspace name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={80}
          error={fieldError(update.error, "name")}
        />
        <label className="check">
          <input type="checkbox" checked={isOpen} onChange={(e) => setOpen(e.target.checked)} />
          Allow open sign-up (anyone with the address can create an account)
        </label>
        <FormError message={formErrorMessage(update.error, ["name"])} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={update.isPending}>
            Save workspace settings
          </button>
          {saved ? <span role="status">Saved.</span> : null}
        </div>
      </form>
    </section>
  );
}

const MB = 1024 * 1024;

/** Bytes as MB (MiB) for the form: up to three decimals, no trailing zeros. */
function toMb(bytes: number): string {
  return String(Math.round((bytes / MB) * 1000) / 1000);
}

/** Lines of a textarea: trimmed, empty ones dropped. */
function linesOf(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

const isSameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** Admins: the workspace's upload limits over the server's defaults (never above its ceiling). */
function UploadsAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.workspace.uploadLimits.queryOptions());
  const [sizeMb, setSizeMb] = useState("");
  const [types, setTypes] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (settings.data) {
      setSizeMb(toMb(settings.data.effective.maxUploadBytes));
      setTypes(settings.data.effective.blockedTypes.join("\n"));
    }
  }, [settings.data]);
  const onSuccess = (message: string) => async () => {
    setSaved(message);
    await Promise.all([
      queryClient.invalidateQueries(trpc.workspace.uploadLimits.queryFilter()),
      queryClient.invalidateQueries(trpc.files.limits.queryFilter()),
    ]);
  };
  const save = useMutation(
    trpc.workspace.setUploadLimits.mutationOptions({ onSuccess: onSuccess("Saved.") }),
  );
  const reset = useMutation(
    trpc.workspace.setUploadLimits.mutationOptions({ onSuccess: onSuccess("Back to the defaults.") }),
  );
  const defaults = settings.data?.defaults;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!defaults) return;
    setSaved(null);
    reset.reset();
    const trimmed = sizeMb.trim();
    const bytes = trimmed === "" ? null : Math.round(Number(trimmed) * MB);
    const list = linesOf(types).map((t) => t.toLowerCase());
    // A value equal to the server's default follows the default (and its later changes).
    save.mutate({
      maxUploadBytes: bytes === null || bytes === defaults.maxUploadBytes ? null : bytes,
      blockedTypes: isSameSet(list, defaults.blockedTypes) ? null : list,
    });
  }

  const error = settings.error?.message ?? save.error?.message ?? reset.error?.message;
  const blockedTypesError = fieldError(save.error, "blockedTypes");
  return (
    <section className="card" aria-labelledby="uploads-heading">
      <h2 id="uploads-heading">Uploads</h2>
      {defaults ? (
        <p className="muted">
          Server defaults: {toMb(defaults.maxUploadBytes)} MB per file and {defaults.blockedTypes.length}{" "}
          blocked types. The size cannot go above{" "}
          {toMb(settings.data?.ceilingBytes ?? defaults.maxUploadBytes)} MB (the server&apos;s
          MAX_UPLOAD_BYTES). An empty size uses the default.
        </p>
      ) : (
        <p className="muted">Loading…</p>
      )}
      <form className="form" onSubmit={onSubmit} aria-label="Upload limits">
        <Field
          label="Maximum file size (MB)"
          type="number"
          min={0.001}
          step="any"
          value={sizeMb}
          onChange={(e) => setSizeMb(e.target.value)}
          hint="1 MB = 1,048,576 bytes; at least 1 KB."
          error={fieldError(save.error, "maxUploadBytes")}
        />
        <div className="field">
          <label htmlFor="blocked-types">Blocked file types (one MIME type per line)</label>
          <textarea
            id="blocked-types"
            rows={8}
            value={types}
            onChange={(e) => setTypes(e.target.value)}
            aria-describedby={
              blockedTypesError ? "blocked-types-error blocked-types-hint" : "blocked-types-hint"
            }
            aria-invalid={blockedTypesError ? true : undefined}
            spellCheck={false}
          />
          {blockedTypesError ? (
            <small id="blocked-types-error" className="error field-error">
              {blockedTypesError}
            </small>
          ) : null}
          <small id="blocked-types-hint" className="muted">
            For example application/x-msdownload. An empty list blocks nothing.
          </small>
        </div>
        <FormError message={error} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={!defaults || save.isPending}>
            Save upload limits
          </button>
          <button
            type="button"
            disabled={!defaults || reset.isPending}
            onClick={() => {
              setSaved(null);
              save.reset();
              reset.mutate({ maxUploadBytes: null, blockedTypes: null });
            }}
          >
            Reset to defaults
          </button>
          {saved ? <span role="status">{saved}</span> : null}
        </div>
      </form>
      {defaults ? (
        <details>
          <summary>Default blocked types</summary>
          <ul aria-label="Default blocked types">
            {defaults.blockedTypes.map((t) => (
              <li key={t}>
                <code>{t}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

function UsersAdmin({ myId }: { myId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.listAll.queryOptions());
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.users.listAll.queryFilter()),
      queryClient.invalidateQueries(trpc.users.list.queryFilter()),
    ]);
  const deactivate = useMutation(trpc.users.deactivate.mutationOptions({ onSuccess: refresh }));
  const reactivate = useMutation(trpc.users.reactivate.mutationOptions({ onSuccess: refresh }));
  const rows = (users.data ?? []).map((u) => ({ u, isDeactivated: u.isDeactivated }));
  return (
    <section className="card" aria-labelledby="users-heading">
      <h2 id="users-heading">People</h2>
      <FormError message={users.error?.message ?? deactivate.error?.message ?? reactivate.error?.message} />
      <ul className="list" aria-label="People">
        {rows.map(({ u, isDeactivated }) => (
          <li key={u.id}>
            <div className="grow">
              <strong>{u.name}</strong> <span className="muted">{u.email}</span>{" "}
              <span className="tag">{u.role}</span>{" "}
              {isDeactivated ? <span className="tag">deactivated</span> : null}
            </div>
            {u.id === myId || u.role === "owner" ? null : isDeactivated ? (
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
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Sign-in lockouts (per account or per client address), newest first. */
function SecurityEventsAdmin() {
  const trpc = useTRPC();
  const events = useQuery(trpc.workspace.securityEvents.queryOptions());
  return (
    <section className="card" aria-labelledby="security-heading">
      <h2 id="security-heading">Security events</h2>
      <p className="muted">Sign-ins locked after too many failed attempts.</p>
      <FormError message={events.error?.message} />
      {events.data && events.data.length === 0 ? <p className="muted">No lockouts.</p> : null}
      <ul className="list" aria-label="Security events">
        {(events.data ?? []).map((e) => (
          <li key={e.id}>
            <div className="grow">
              <strong>
                {e.scope === "signin-ip" ? `Address ${e.ip ?? "?"} locked` : `${e.email ?? "?"} locked`}
              </strong>{" "}
              <span className="muted">
                {e.lockedMinutes ? `for ${e.lockedMinutes} min` : ""} · {formatDate(e.createdAt)}
                {e.scope === "signin-account" && e.ip ? ` · last attempt from ${e.ip}` : ""}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Profile, sessions, tokens, invites and (for admins) workspace, uploads, people and security events. */
export function SettingsView() {
  const trpc = useTRPC();
  const me = useQuery(trpc.users.me.queryOptions());
  const isAdmin = me.data?.role === "owner" || me.data?.role === "admin";
  return (
    <div className="page">
      <h1>Settings</h1>
      <Profile />
      <Invites />
      {isAdmin ? <WorkspaceAdmin /> : null}
      {isAdmin ? <UploadsAdmin /> : null}
      {isAdmin && me.data ? <UsersAdmin myId={me.data.id} /> : null}
      {isAdmin ? <SecurityEventsAdmin /> : null}
      <Sessions />
      <Tokens />
    </div>
  );
}
