import { isUniqueViolation, Prisma, type TDb } from "@parley/db";
import { requireAdmin, type TActor } from "./actor.ts";
import { recordAudit, type TAuditJson, type TAuditOrigin } from "./audit/record.ts";
import { createChannelIn } from "./conversations/channels.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { modeForOpenSignup } from "./joining/policy.ts";
import { hashPassword } from "./passwords.ts";
import {
  type TSetBroadcastPolicy,
  type TSignupMode,
  ZSetBroadcastPolicy,
  ZSetUploadLimits,
  ZSetupWorkspace,
  ZUpdateWorkspace,
} from "./schemas.ts";
import { inWriteTx } from "./tx.ts";
import { type TUserDto, userDtoSelect } from "./users.ts";
import { WORKSPACE_ID } from "./workspace-id.ts";

export { WORKSPACE_ID } from "./workspace-id.ts";

/** What the sign-in and sign-up pages need before anyone is signed in. */
export type TWorkspaceStatus = {
  isSetUp: boolean;
  name: string | null;
  /** Who may sign up without an invite (joining/policy.ts). */
  signupMode: TSignupMode;
  /** In `domains` mode, the domains whose addresses may (empty otherwise). */
  signupDomains: string[];
  /** `signupMode === "open"`: the older flag, kept for existing callers. */
  allowOpenSignup: boolean;
  /** Password sign-in and sign-up are off: single sign-on only (sso/settings.ts). */
  ssoOnly: boolean;
};

function statusOf(
  ws: { name: string; signupMode: TSignupMode; signupDomains: string[]; ssoOnly: boolean } | null,
): TWorkspaceStatus {
  const mode = ws?.signupMode ?? "invite_only";
  return {
    isSetUp: ws !== null,
    name: ws?.name ?? null,
    signupMode: mode,
    signupDomains: mode === "domains" ? (ws?.signupDomains ?? []) : [],
    allowOpenSignup: mode === "open",
    ssoOnly: ws?.ssoOnly ?? false,
  };
}

/** Whether first-run setup happened, and the public workspace settings. */
export async function getWorkspaceStatus(db: TDb): Promise<TWorkspaceStatus> {
  return statusOf(await db.workspace.findUnique({ where: { id: WORKSPACE_ID } }));
}

/**
 * First-run setup: creates the workspace row and its owner in one transaction. The workspace's
 * fixed primary key makes a second (or concurrent) setup fail with CONFLICT.
 */
export async function setupWorkspace(
  db: TDb,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ user: TUserDto }> {
  const data = parseInput(ZSetupWorkspace, input);
  if (await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: { id: true } })) {
    throw new ParleyError("CONFLICT", "The workspace is already set up");
  }
  const passwordHash = await hashPassword(data.password);
  try {
    return await inWriteTx(db, async (w) => {
      const { tx } = w;
      await tx.workspace.create({ data: { id: WORKSPACE_ID, name: data.workspaceName } });
      const user = await tx.user.create({
        data: { name: data.name, email: data.email, passwordHash, role: "owner" },
        select: userDtoSelect,
      });
      // Nobody lands in an empty sidebar: #general (everyone, for ever) and #random, both default.
      const owner = { userId: user.id, role: "owner" as const };
      const general = await createChannelIn(w, owner, {
        name: "general",
        isPrivate: false,
        topic: "Everyone in the workspace: announcements and company-wide conversation",
        isDefault: true,
      });
      await createChannelIn(w, owner, {
        name: "random",
        isPrivate: false,
        topic: "Anything that is not work",
        isDefault: true,
      });
      await tx.workspace.update({ where: { id: WORKSPACE_ID }, data: { generalChannelId: general } });
      await recordAudit(tx, {
        action: "workspace.created",
        actorId: user.id,
        target: { type: "workspace", id: String(WORKSPACE_ID), label: data.workspaceName },
        origin,
      });
      return { user };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ParleyError("CONFLICT", "The workspace is already set up");
    throw err;
  }
}

/** The fields of `before`/`after` whose values differ (JSON equality), as the audit log keeps them. */
export function changedFields<T extends Record<string, TAuditJson>>(
  before: T,
  after: T,
): { before: Record<string, TAuditJson>; after: Record<string, TAuditJson> } | null {
  const changed = Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (changed.length === 0) return null;
  return {
    before: Object.fromEntries(changed.map((k) => [k, before[k] ?? null])),
    after: Object.fromEntries(changed.map((k) => [k, after[k] ?? null])),
  };
}

async function lockWorkspace(tx: Pick<TDb, "$queryRaw">): Promise<void> {
  const [ws] = await tx.$queryRaw<{ id: number }[]>`
    SELECT id FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
  if (!ws) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
}

/**
 * Changes workspace settings (admins and owners): name, audit retention and — by the older flag
 * `allowOpenSignup` — the sign-up mode (true: open; false: invite-only unless it was not open).
 * Audit-logged with the changed fields before and after (a mode change as
 * `workspace.signup_mode_changed`, as setSignupPolicy writes it); a change that changes nothing
 * writes nothing.
 */
export async function updateWorkspace(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TWorkspaceStatus> {
  requireAdmin(actor);
  const { allowOpenSignup, ...data } = parseInput(ZUpdateWorkspace, input);
  const updated = await inWriteTx(db, async ({ tx }) => {
    await lockWorkspace(tx);
    const before = await tx.workspace.findUniqueOrThrow({ where: { id: WORKSPACE_ID } });
    const mode =
      allowOpenSignup === undefined
        ? before.signupMode
        : modeForOpenSignup(allowOpenSignup, before.signupMode);
    const after = await tx.workspace.update({
      where: { id: WORKSPACE_ID },
      data: { ...data, signupMode: mode },
    });
    const target = { type: "workspace" as const, id: String(WORKSPACE_ID), label: after.name };
    const change = changedFields(
      { name: before.name, auditRetentionDays: before.auditRetentionDays },
      { name: after.name, auditRetentionDays: after.auditRetentionDays },
    );
    if (change) {
      await recordAudit(tx, {
        action: "workspace.updated",
        actorId: actor.userId,
        target,
        origin,
        details: change,
      });
    }
    if (mode !== before.signupMode) {
      await recordAudit(tx, {
        action: "workspace.signup_mode_changed",
        actorId: actor.userId,
        target,
        origin,
        details: { before: before.signupMode, after: mode },
      });
    }
    return after;
  });
  return statusOf(updated);
}

// ---------------------------------------------------------------------------------------------
// Broadcast policy
//
// Who may use @channel, @here and @everyone in channels with more than `threshold` members.
// Enforced by every message writer (messages/broadcast.ts), which reads the row in its own
// statement, so a change applies to the next send in every process.

/** The workspace's broadcast policy (the schema's defaults before setup: everyone, 5). */
export type TBroadcastPolicySettings = TSetBroadcastPolicy;

const broadcastSelect = { broadcastPolicy: true, broadcastThreshold: true } as const;

function broadcastSettingsOf(
  row: { broadcastPolicy: TSetBroadcastPolicy["policy"]; broadcastThreshold: number } | null,
): TBroadcastPolicySettings {
  return { policy: row?.broadcastPolicy ?? "everyone", threshold: row?.broadcastThreshold ?? 5 };
}

/**
 * The broadcast policy, for any signed-in user: composers warn before a send the server would
 * refuse, and the refusal names the same threshold.
 */
export async function getBroadcastPolicy(db: TDb): Promise<TBroadcastPolicySettings> {
  const ws = await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: broadcastSelect });
  return broadcastSettingsOf(ws);
}

/** Sets the broadcast policy (admins), audit-logged with the values before and after. */
export async function setBroadcastPolicy(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TBroadcastPolicySettings> {
  requireAdmin(actor);
  const data = parseInput(ZSetBroadcastPolicy, input);
  return inWriteTx(db, async ({ tx }) => {
    const [ws] = await tx.$queryRaw<
      { broadcastPolicy: TSetBroadcastPolicy["policy"]; broadcastThreshold: number }[]
    >`
      SELECT "broadcastPolicy"::text AS "broadcastPolicy", "broadcastThreshold"
      FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!ws) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
    const row = await tx.workspace.update({
      where: { id: WORKSPACE_ID },
      data: { broadcastPolicy: data.policy, broadcastThreshold: data.threshold },
      select: broadcastSelect,
    });
    const before = broadcastSettingsOf(ws);
    const after = broadcastSettingsOf(row);
    if (before.policy !== after.policy || before.threshold !== after.threshold) {
      await recordAudit(tx, {
        action: "workspace.updated",
        actorId: actor.userId,
        target: { type: "workspace", id: String(WORKSPACE_ID) },
        origin,
        details: { before: { broadcastPolicy: before }, after: { broadcastPolicy: after } },
      });
    }
    return after;
  });
}

// ---------------------------------------------------------------------------------------------
// Upload limits
//
// The server's settings (MAX_UPLOAD_BYTES, UPLOAD_BLOCKED_TYPES) are the defaults; the workspace
// row may override each (null = use the setting). MAX_UPLOAD_BYTES is also the operator's hard
// ceiling: a workspace limit above it is refused when set and clamped when read (the operator may
// lower the setting later). Read per call — one primary-key lookup — so every process sees a
// change at once without a cache to invalidate.

/** The two limits a workspace can override. */
export type TUploadLimitValues = { maxUploadBytes: number; blockedTypes: readonly string[] };

/** What admins see: the limits in force, the server's defaults, and what the workspace set. */
export type TUploadLimitSettings = {
  /** The limits enforced now (override ?? default, the size never above the ceiling). */
  effective: { maxUploadBytes: number; blockedTypes: string[] };
  /** The server's settings, used where the workspace sets nothing. */
  defaults: { maxUploadBytes: number; blockedTypes: string[] };
  /** The workspace's own values; null = the default applies. */
  overrides: { maxUploadBytes: number | null; blockedTypes: string[] | null };
  /** The largest size an admin may set: the server's MAX_UPLOAD_BYTES. */
  ceilingBytes: number;
};

type UploadOverrides = TUploadLimitSettings["overrides"];

async function loadUploadOverrides(db: Pick<TDb, "workspace">): Promise<UploadOverrides> {
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { maxUploadBytes: true, blockedUploadTypes: true },
  });
  const types = ws?.blockedUploadTypes;
  return {
    maxUploadBytes: ws?.maxUploadBytes == null ? null : Number(ws.maxUploadBytes),
    blockedTypes: Array.isArray(types) ? types.filter((t): t is string => typeof t === "string") : null,
  };
}

function applyOverrides<T extends TUploadLimitValues>(defaults: T, overrides: UploadOverrides): T {
  return {
    ...defaults,
    maxUploadBytes: Math.min(overrides.maxUploadBytes ?? defaults.maxUploadBytes, defaults.maxUploadBytes),
    blockedTypes: overrides.blockedTypes ?? defaults.blockedTypes,
  };
}

/**
 * The upload limits in force: `defaults` (the server's settings; any extra fields are kept) with
 * the workspace's overrides applied.
 */
export async function resolveUploadLimits<T extends TUploadLimitValues>(db: TDb, defaults: T): Promise<T> {
  return applyOverrides(defaults, await loadUploadOverrides(db));
}

function settingsOf(defaults: TUploadLimitValues, overrides: UploadOverrides): TUploadLimitSettings {
  const effective = applyOverrides(defaults, overrides);
  return {
    effective: { maxUploadBytes: effective.maxUploadBytes, blockedTypes: [...effective.blockedTypes] },
    defaults: { maxUploadBytes: defaults.maxUploadBytes, blockedTypes: [...defaults.blockedTypes] },
    overrides,
    ceilingBytes: defaults.maxUploadBytes,
  };
}

/** The workspace's upload limits, its defaults and the ceiling (admins). */
export async function getUploadLimitSettings(
  db: TDb,
  actor: TActor,
  defaults: TUploadLimitValues,
): Promise<TUploadLimitSettings> {
  requireAdmin(actor);
  return settingsOf(defaults, await loadUploadOverrides(db));
}

/**
 * Sets or resets (null) the workspace's upload limits (admins), audit-logged with the values
 * before and after. A size above the server's MAX_UPLOAD_BYTES is BAD_REQUEST; nothing changes.
 */
export async function setUploadLimits(
  db: TDb,
  actor: TActor,
  input: unknown,
  defaults: TUploadLimitValues,
  origin?: TAuditOrigin,
): Promise<TUploadLimitSettings> {
  requireAdmin(actor);
  const data = parseInput(ZSetUploadLimits, input);
  if (data.maxUploadBytes != null && data.maxUploadBytes > defaults.maxUploadBytes) {
    throw new ParleyError(
      "BAD_REQUEST",
      "The upload limit cannot be raised above {limit}: the server's MAX_UPLOAD_BYTES setting is the ceiling (ask whoever runs the server to raise it)",
      { params: { limit: formatLimit(defaults.maxUploadBytes) } },
    );
  }
  return inWriteTx(db, async ({ tx }) => {
    await lockWorkspace(tx);
    const before = await loadUploadOverrides(tx);
    const row = await tx.workspace.update({
      where: { id: WORKSPACE_ID },
      data: {
        ...(data.maxUploadBytes === undefined
          ? {}
          : { maxUploadBytes: data.maxUploadBytes === null ? null : BigInt(data.maxUploadBytes) }),
        ...(data.blockedTypes === undefined
          ? {}
          : { blockedUploadTypes: data.blockedTypes === null ? Prisma.DbNull : data.blockedTypes }),
      },
      select: { maxUploadBytes: true, blockedUploadTypes: true },
    });
    const after: UploadOverrides = {
      maxUploadBytes: row.maxUploadBytes == null ? null : Number(row.maxUploadBytes),
      blockedTypes: Array.isArray(row.blockedUploadTypes) ? (row.blockedUploadTypes as string[]) : null,
    };
    const change = changedFields(before, after);
    if (change) {
      await recordAudit(tx, {
        action: "workspace.updated",
        actorId: actor.userId,
        target: { type: "workspace", id: String(WORKSPACE_ID) },
        origin,
        details: change,
      });
    }
    return settingsOf(defaults, after);
  });
}

/** Bytes for people: whole MiB/KiB when exact, else bytes. */
function formatLimit(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
