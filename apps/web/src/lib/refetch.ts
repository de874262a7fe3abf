import type { QueryClient, QueryFilters } from "@tanstack/react-query";

/**
 * Marks the matching queries stale and fetches the observed ones again, after a write or an event
 * changed what they hold. `invalidateQueries` alone does not for a query whose FIRST fetch is still
 * in flight: it joins that fetch (TanStack Query cancels an in-flight fetch only for a query that
 * already has data), which may have read the server before the change, and whose answer then
 * counts as fresh — an export requested while Settings was still loading its list never showed,
 * nor its progress. So in-flight fetches are cancelled first (reverting to the previous state).
 */
export async function refetchFresh(queryClient: QueryClient, filters: QueryFilters): Promise<void> {
  await queryClient.cancelQueries(filters);
  await queryClient.invalidateQueries(filters);
}
