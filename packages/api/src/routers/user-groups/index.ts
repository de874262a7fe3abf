/**
 * User groups (`@design`): the list (anyone signed in; a guest sees only members they may see),
 * create, update and delete (admins; core checks again and audit-logs each).
 */
import {
  createUserGroup,
  deleteUserGroup,
  listUserGroups,
  updateUserGroup,
  ZCreateUserGroup,
  ZUpdateUserGroup,
  ZUserGroupRef,
} from "@parley/core";
import { adminProcedure, protectedProcedure, router, validatedByCore } from "../../trpc.ts";

export const userGroupsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listUserGroups(ctx.db, ctx.actor)),
  create: adminProcedure
    .input(validatedByCore(ZCreateUserGroup))
    .mutation(({ ctx, input }) => createUserGroup(ctx.db, ctx.actor, input, ctx.origin)),
  update: adminProcedure
    .input(validatedByCore(ZUpdateUserGroup))
    .mutation(({ ctx, input }) => updateUserGroup(ctx.db, ctx.actor, input, ctx.origin)),
  delete: adminProcedure
    .input(validatedByCore(ZUserGroupRef))
    .mutation(({ ctx, input }) => deleteUserGroup(ctx.db, ctx.actor, input, ctx.origin)),
});
