import type { TAppRouter } from "@parley/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

export type TRouterInputs = inferRouterInputs<TAppRouter>;
export type TRouterOutputs = inferRouterOutputs<TAppRouter>;

export type TConversationSummary = TRouterOutputs["conversations"]["list"][number];
export type TMessage = TRouterOutputs["messages"]["history"]["messages"][number];
