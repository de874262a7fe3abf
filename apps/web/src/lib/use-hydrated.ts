import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * False in the server's HTML and during hydration, true once React runs the page. Forms with a
 * password keep their submit button disabled until then: a click before hydration would submit
 * the form natively (a GET that puts the password in the URL, and in every log on its way).
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
