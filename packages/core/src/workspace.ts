import { type Db, isUniqueViolation } from "@parley/db";
import { type Actor, requireAdmin } from "./actor.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { hashPassword } from "./passwords.ts";
import { ZSetupWorkspace, ZUpdateWorkspace } from "./schemas.ts";
import { inWriteTx } from "./tx.ts";
import { type UserDto, userDtoSelect } from "./users.ts";

/** The single workspace row's id. */
export const WORKSPACE_ID = 1;

/** What the sign-in page needs before anyone is signed in. */
export type WorkspaceStatus = { isSetUp: boolean; name: string | null; allowOpenSignup: boolean };

/** Whether first-run setup happened, and the public workspace settings. */
export async function getWorkspaceStatus(db: Db): Promise<WorkspaceStatus> {
  const ws = await db.workspace.findUnique({ where: { id: WORKSPACE_ID } });
  return { isSetUp: ws !== null, name: ws?.name ?? null, allowOpenSignup: ws?.allowOpenSignup ?? false };
}

/**
 * First-run setup: creates the workspace row and its owner in one transaction. The workspace's
 * fixed primary key makes a second (or concurrent) setup fail with CONFLICT.
 */
export async function setupWorkspace(db: Db, input: unknown): Promise<{ user: UserDto }> {
  const data = parseInput(ZSetupWorkspace, input);
  if (await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: { id: true } })) {
    throw new ParleyError("CONFLICT", "The workspace is already set up");
  }
  const passwordHash = await hashPassword(data.password);
  try {
    return await inWriteTx(db, async ({ tx }) => {
      await tx.workspace.create({ data: { id: WORKSPACE_ID, name: data.workspaceName } });
      const user = await tx.user.create({
        data: { name: data.name, email: data.email, passwordHash, role: "owner" },
        select: userDtoSelect,
      });
      await tx.auditLog.create({ data: { actorId: user.id, action: "workspace.setup" } });
      return { user };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ParleyError("CONFLICT", "The workspace is already set up");
    throw err;
  }
}

/** Changes workspace settings (admins and owners). */
export async function updateWorkspace(db: Db, actor: Actor, input: unknown): Promise<WorkspaceStatus> {
  requireAdmin(actor);
  const data = parseInput(ZUpdateWorkspace, input);
  const ws = await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: { id: true } });
  if (!ws) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
  const updated = await db.workspace.update({ where: { id: WORKSPACE_ID }, data });
  await db.auditLog.create({ data: { actorId: actor.userId, action: "workspace.updated", data } });
  return { isSetUp: true, name: updated.name, allowOpenSignup: updated.allowOpenSignup };
}
