/**
 * The workspace's message edit and delete windows (issue 13, "Messages"): how long after sending
 * a message may be edited, and deleted by its sender. Read per check (one primary-key read inside
 * the edit's or delete's own transaction, after the message lock), so every process applies a
 * change at once. The rule and its sentences are `window-rule.ts` (shared with the web).
 */

import type { TDb } from "@parley/db";
import { ErrorReason } from "@parley/protocol";
import { z } from "zod";
import { isAdmin, requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { inWriteTx, type TTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";
import {
  isWithinWindow,
  type TMessageWindows,
  type TWindowAction,
  windowClosedRefusal,
} from "./window-rule.ts";

export type { TMessageWindows } from "./window-rule.ts";

/** The longest window an admin may set: 30 days (longer is "always": null). */
export const MAX_MESSAGE_WINDOW_SECONDS = 30 * 86_400;

const ZWindow = z
  .number()
  .int(errorTemplate("must be a whole number of seconds"))
  .min(0, errorTemplate("must be 0 (never) or more"))
  .max(MAX_MESSAGE_WINDOW_SECONDS, errorTemplate("must be at most 30 days (leave it empty for always)"))
  .nullable();

/** Admins' input: each window in seconds; null = always allowed, 0 = never (for members). */
export const ZSetMessageWindows = z.strictObject({
  editWindowSeconds: ZWindow,
  deleteWindowSeconds: ZWindow,
});
export type TSetMessageWindows = z.output<typeof ZSetMessageWindows>;

const windowsSelect = { editWindowSeconds: true, deleteWindowSeconds: true } as const;

/** The windows in force (both null — always — before setup). */
export async function getMessageWindows(db: Pick<TDb, "workspace">): Promise<TMessageWindows> {
  const ws = await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: windowsSelect });
  return {
    editWindowSeconds: ws?.editWindowSeconds ?? null,
    deleteWindowSeconds: ws?.deleteWindowSeconds ?? null,
  };
}

/** Sets both windows (admins); audit-logged as workspace.updated with the changed values. */
export async function setMessageWindows(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TMessageWindows> {
  requireAdmin(actor);
  const data = parseInput(ZSetMessageWindows, input);
  return inWriteTx(db, async ({ tx }) => {
    const [before] = await tx.$queryRaw<TMessageWindows[]>`
      SELECT "editWindowSeconds", "deleteWindowSeconds" FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
    const after = await tx.workspace.update({ where: { id: WORKSPACE_ID }, data, select: windowsSelect });
    const changed = (Object.keys(windowsSelect) as (keyof TMessageWindows)[]).filter(
      (k) => before[k] !== after[k],
    );
    if (changed.length > 0) {
      await recordAudit(tx, {
        action: "workspace.updated",
        actorId: actor.userId,
        target: { type: "workspace", id: String(WORKSPACE_ID) },
        origin,
        details: {
          before: Object.fromEntries(changed.map((k) => [k, before[k]])),
          after: Object.fromEntries(changed.map((k) => [k, after[k]])),
        },
      });
    }
    return after;
  });
}

/**
 * Throws FORBIDDEN (reason EDIT_WINDOW_CLOSED / DELETE_WINDOW_CLOSED) when the workspace's window
 * for `action` has passed for a message sent at `createdAt`. Callers exempt admins from the
 * delete window themselves (they may always delete). `now` is the caller's clock (tests pass one).
 */
export async function requireWithinWindow(
  tx: Pick<TTx, "workspace">,
  action: TWindowAction,
  createdAt: Date,
  now: Date,
): Promise<void> {
  const windows = await getMessageWindows(tx);
  const seconds = action === "edit" ? windows.editWindowSeconds : windows.deleteWindowSeconds;
  if (seconds === null || isWithinWindow(seconds, createdAt, now)) return;
  const { template, params } = windowClosedRefusal(action, seconds);
  throw new ParleyError("FORBIDDEN", template, {
    reason: action === "edit" ? ErrorReason.EditWindowClosed : ErrorReason.DeleteWindowClosed,
    params,
  });
}

/** Whether `actor` is held to the delete window for a message they sent (admins never are). */
export function isHeldToDeleteWindow(actor: TActor): boolean {
  return !isAdmin(actor);
}
