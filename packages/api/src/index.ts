/** @parley/api — the tRPC router over @parley/core. Mount `appRouter` with `createContext` in the web app. */
export { appRouter, createCaller, type TAppRouter } from "./root.ts";
export {
  adminProcedure,
  createContext,
  internalErrorMessage,
  protectedProcedure,
  publicProcedure,
  setInternalErrorLogger,
  type TContext,
  type TCreateContextOptions,
  type TFlattenedIssues,
  type TInternalErrorLogger,
} from "./trpc.ts";
