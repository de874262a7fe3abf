import type { AppRouter } from "@parley/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type TConversationSummary = RouterOutputs["conversations"]["list"][number];
export type TMessage = RouterOutputs["messages"]["history"]["messages"][number];
