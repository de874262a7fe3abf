/** Flips the workspace's link preview switch directly (the admin procedure is tested in api). */
import type { TDb } from "@parley/db";

export async function updateWorkspaceSettingsForTest(
  db: TDb,
  data: { linkPreviewsEnabled: boolean },
): Promise<void> {
  await db.workspace.update({ where: { id: 1 }, data });
}
