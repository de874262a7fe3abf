/**
 * The workspace's link preview switch (Workspace.linkPreviewsEnabled, default on). Off: the
 * previewer queues no new message (worker.ts reads it in each enqueue step), so nothing is
 * fetched; previews already shown stay until their senders remove them. Admins change it, with
 * a `workspace.updated` audit entry.
 */
import type { TDb } from "@parley/db";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** Input of `setLinkPreviewSettings`. */
export const ZSetLinkPreviews = z.object({ enabled: z.boolean() });
export type TSetLinkPreviews = z.output<typeof ZSetLinkPreviews>;

/** Whether the server fetches link previews for new messages (anyone signed in may read it). */
export async function getLinkPreviewSettings(db: TDb): Promise<{ enabled: boolean }> {
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { linkPreviewsEnabled: true },
  });
  return { enabled: ws?.linkPreviewsEnabled ?? true };
}

/** Turns link previews on or off for the workspace (admins; audit `workspace.updated`). */
export async function setLinkPreviewSettings(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ enabled: boolean }> {
  requireAdmin(actor);
  const { enabled } = parseInput(ZSetLinkPreviews, input);
  return db.$transaction(async (tx) => {
    const [before] = await tx.$queryRaw<{ linkPreviewsEnabled: boolean }[]>`
      SELECT "linkPreviewsEnabled" FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "The workspace is not set up yet");
    if (before.linkPreviewsEnabled !== enabled) {
      await tx.workspace.update({ where: { id: WORKSPACE_ID }, data: { linkPreviewsEnabled: enabled } });
      await recordAudit(tx, {
        action: "workspace.updated",
        actorId: actor.userId,
        target: { type: "workspace", id: String(WORKSPACE_ID) },
        origin,
        details: {
          before: { linkPreviewsEnabled: before.linkPreviewsEnabled },
          after: { linkPreviewsEnabled: enabled },
        },
      });
    }
    return { enabled };
  });
}
