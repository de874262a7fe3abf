/** @parley/api — the tRPC router over @parley/core. Mount `appRouter` with `createContext` in the web app. */
export { type AppRouter, appRouter, createCaller } from "./root.ts";
export {
  adminProcedure,
  type Context,
  type CreateContextOptions,
  createContext,
  type FlattenedIssues,
  type InternalErrorLogger,
  internalErrorMessage,
  protectedProcedure,
  publicProcedure,
  setInternalErrorLogger,
} from "./trpc.ts";
