"use client";

/**
 * Browser-side tRPC: one QueryClient and one batched HTTP client per page load, shared through
 * React context. `useTRPC()` gives typed query/mutation options for TanStack Query.
 */
import "~/lib/zod-no-eval";
import type { TAppRouter } from "@parley/api";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import superjson from "superjson";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<TAppRouter>();

/** True when a tRPC error means "you are not signed in (any more)". */
export function isUnauthorized(err: unknown): boolean {
  return err instanceof TRPCClientError && err.data?.code === "UNAUTHORIZED";
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({
      onError(err) {
        // A revoked session or deactivated user: go back to the sign-in page.
        if (isUnauthorized(err) && window.location.pathname.startsWith("/app")) {
          window.location.assign("/sign-in");
        }
      },
    }),
    defaultOptions: {
      queries: { staleTime: 2_000, retry: (count, err) => !isUnauthorized(err) && count < 2 },
    },
  });
}

/** Wraps the app with the QueryClient and the tRPC client. */
export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<TAppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
