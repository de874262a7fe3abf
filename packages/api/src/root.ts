import { auditRouter } from "./routers/audit/index.ts";
import { authRouter } from "./routers/auth/index.ts";
import { botsRouter } from "./routers/bots/index.ts";
import { channelAdminRouter } from "./routers/channel-admin/index.ts";
import { conversationsRouter } from "./routers/conversations/index.ts";
import { emojiRouter } from "./routers/emoji/index.ts";
import { exportsRouter } from "./routers/exports/index.ts";
import { filesRouter } from "./routers/files/index.ts";
import { commandsRouter, hooksRouter } from "./routers/integrations/index.ts";
import { invitesRouter } from "./routers/invites/index.ts";
import { messagesRouter } from "./routers/messages/index.ts";
import { notificationsRouter } from "./routers/notifications/index.ts";
import { operationsRouter } from "./routers/operations/index.ts";
import { profileRouter } from "./routers/profile/index.ts";
import { realtimeRouter } from "./routers/realtime/index.ts";
import { receiptsRouter } from "./routers/receipts/index.ts";
import { remindersRouter } from "./routers/reminders/index.ts";
import { retentionRouter } from "./routers/retention/index.ts";
import { savedRouter } from "./routers/saved/index.ts";
import { searchRouter } from "./routers/search/index.ts";
import { sessionsRouter } from "./routers/sessions/index.ts";
import { slackImportRouter } from "./routers/slack-import/index.ts";
import { tokensRouter } from "./routers/tokens/index.ts";
import { userGroupsRouter } from "./routers/user-groups/index.ts";
import { usersRouter } from "./routers/users/index.ts";
import { workspaceRouter } from "./routers/workspace/index.ts";
import { createCallerFactory, router } from "./trpc.ts";

/** Every procedure the web app (and SDK over HTTP) can call. */
export const appRouter = router({
  workspace: workspaceRouter,
  auth: authRouter,
  audit: auditRouter,
  sessions: sessionsRouter,
  tokens: tokensRouter,
  bots: botsRouter,
  commands: commandsRouter,
  hooks: hooksRouter,
  users: usersRouter,
  profile: profileRouter,
  conversations: conversationsRouter,
  channelAdmin: channelAdminRouter,
  messages: messagesRouter,
  files: filesRouter,
  realtime: realtimeRouter,
  search: searchRouter,
  receipts: receiptsRouter,
  saved: savedRouter,
  reminders: remindersRouter,
  notifications: notificationsRouter,
  operations: operationsRouter,
  invites: invitesRouter,
  retention: retentionRouter,
  emoji: emojiRouter,
  userGroups: userGroupsRouter,
  exports: exportsRouter,
  slackImport: slackImportRouter,
});

export type TAppRouter = typeof appRouter;

/** Server-side caller (RSC, tests): `createCaller(await createContext({ db, sessionId }))`. */
export const createCaller = createCallerFactory(appRouter);
