/**
 * Tests only: the part of a ParleyClient that connectLiveData (chat-data.ts) uses — its event
 * handlers and its user cursor — with `emit` to play frames and state changes into it.
 */
import type { ParleyClient } from "@parley/client";

type THandler = (...args: unknown[]) => void;

export function fakeLiveClient(userCursor: number | null): {
  client: ParleyClient;
  emit: (name: string, ...args: unknown[]) => void;
} {
  const handlers = new Map<string, THandler[]>();
  const client = {
    userCursor,
    on(name: string, fn: THandler) {
      handlers.set(name, [...(handlers.get(name) ?? []), fn]);
      return () =>
        handlers.set(
          name,
          (handlers.get(name) ?? []).filter((h) => h !== fn),
        );
    },
  };
  const emit = (name: string, ...args: unknown[]) => {
    for (const fn of handlers.get(name) ?? []) fn(...args);
  };
  return { client: client as unknown as ParleyClient, emit };
}
