/**
 * #general and the default channels (issue 13, "First run and defaults"): first-run setup makes
 * #general and #random (workspace.ts); #general is the workspace's `generalChannelId` — everyone
 * joins it at sign-up, and it cannot be left, have members removed or be archived; admins mark
 * other public channels `isDefault` (channels.ts `setDefaultChannel`) and people who sign up join
 * those too (members.ts `joinDefaultChannels`, in the sign-up's own transaction).
 */
import type { TTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** Whether the conversation is the workspace's #general. */
export async function isGeneralChannel(tx: TTx, conversationId: string): Promise<boolean> {
  const ws = await tx.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { generalChannelId: true },
  });
  return ws?.generalChannelId === conversationId;
}
