/**
 * Display preferences against real Postgres: the default, a change (and only a real change)
 * announced on the user's own log, bad input refused with nothing written, and one user's change
 * never reaching another's preferences or log.
 */
import { UserEventKind } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { getPreferences, updatePreferences } from "../src/user-preferences.ts";
import { expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();

const userEvents = (userId: string) =>
  t.db.userEvent.findMany({
    where: { userId },
    orderBy: { seq: "asc" },
    select: { kind: true, payload: true },
  });

describe("display preferences", () => {
  it("start with the sidebar by name, and a change is announced to the user's devices once", async () => {
    const ada = await newActor(t.db);
    expect(await getPreferences(t.db, ada)).toEqual({ sidebarUnreadsFirst: false, locale: null });
    const before = (await userEvents(ada.userId)).length;

    expect(await updatePreferences(t.db, ada, { sidebarUnreadsFirst: true })).toEqual({
      sidebarUnreadsFirst: true,
      locale: null,
    });
    expect(await getPreferences(t.db, ada)).toEqual({ sidebarUnreadsFirst: true, locale: null });
    // The same value again, or nothing at all: no write, no event.
    await updatePreferences(t.db, ada, { sidebarUnreadsFirst: true });
    await updatePreferences(t.db, ada, {});
    const events = (await userEvents(ada.userId)).slice(before);
    expect(events).toEqual([
      { kind: UserEventKind.PreferencesUpdated, payload: { sidebarUnreadsFirst: true } },
    ]);

    await updatePreferences(t.db, ada, { sidebarUnreadsFirst: false });
    expect(await getPreferences(t.db, ada)).toEqual({ sidebarUnreadsFirst: false, locale: null });
    expect((await userEvents(ada.userId)).at(-1)).toEqual({
      kind: UserEventKind.PreferencesUpdated,
      payload: { sidebarUnreadsFirst: false },
    });
  });

  it("keep the UI language (or null = the browser's), announced like the rest", async () => {
    const ada = await newActor(t.db);
    const before = (await userEvents(ada.userId)).length;
    expect(await updatePreferences(t.db, ada, { locale: "ar" })).toEqual({
      sidebarUnreadsFirst: false,
      locale: "ar",
    });
    await updatePreferences(t.db, ada, { locale: "ar" });
    await updatePreferences(t.db, ada, { locale: null });
    expect(await getPreferences(t.db, ada)).toEqual({ sidebarUnreadsFirst: false, locale: null });
    expect((await userEvents(ada.userId)).slice(before)).toEqual([
      { kind: UserEventKind.PreferencesUpdated, payload: { locale: "ar" } },
      { kind: UserEventKind.PreferencesUpdated, payload: { locale: null } },
    ]);
  });

  it("refuses bad input with BAD_REQUEST and changes nothing", async () => {
    const ada = await newActor(t.db);
    const before = (await userEvents(ada.userId)).length;
    for (const bad of [
      { sidebarUnreadsFirst: "yes" },
      { sidebarUnreadsFirst: null },
      { locale: "fr" },
      { locale: "AR" },
      { locale: 3 },
      { sortBy: "unread" },
      1,
    ]) {
      await expectParley(updatePreferences(t.db, ada, bad), "BAD_REQUEST");
    }
    expect(await getPreferences(t.db, ada)).toEqual({ sidebarUnreadsFirst: false, locale: null });
    expect(await userEvents(ada.userId)).toHaveLength(before);
  });

  it("are each user's own: a change touches nobody else's preferences or log", async () => {
    const ada = await newActor(t.db);
    const bo = await newActor(t.db);
    const boEvents = (await userEvents(bo.userId)).length;
    await updatePreferences(t.db, ada, { sidebarUnreadsFirst: true });
    expect(await getPreferences(t.db, bo)).toEqual({ sidebarUnreadsFirst: false, locale: null });
    expect(await userEvents(bo.userId)).toHaveLength(boEvents);
  });
});
