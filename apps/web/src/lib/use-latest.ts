import { type RefObject, useRef } from "react";

/**
 * A ref that holds this render's `value`: for callbacks and subscriptions made once (Virtuoso's,
 * a client's event handler) that must read the props of the latest render without re-subscribing.
 * Set during render, so effects and layout effects of the same render already see it.
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  ref.current = value;
  return ref;
}
