import { describe, expect, it } from "vitest";
import { clearDraft, draftKey, loadDraft, saveDraft, type TDraftStorage } from "./drafts";

function memoryStorage(): TDraftStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

describe("drafts", () => {
  it("keeps one draft per user and conversation", () => {
    const storage = memoryStorage();
    saveDraft(storage, "u1", "c1", "hello");
    saveDraft(storage, "u2", "c1", "other user");
    saveDraft(storage, "u1", "c2", "other conversation");
    expect(loadDraft(storage, "u1", "c1")).toBe("hello");
    expect(loadDraft(storage, "u2", "c1")).toBe("other user");
    expect(loadDraft(storage, "u1", "c2")).toBe("other conversation");
    expect(loadDraft(storage, "u1", "c3")).toBe("");
  });

  it("removes the draft when it is cleared or blank", () => {
    const storage = memoryStorage();
    saveDraft(storage, "u1", "c1", "hello");
    clearDraft(storage, "u1", "c1");
    expect(storage.map.has(draftKey("u1", "c1"))).toBe(false);
    saveDraft(storage, "u1", "c1", "again");
    saveDraft(storage, "u1", "c1", "   \n");
    expect(loadDraft(storage, "u1", "c1")).toBe("");
    expect(storage.map.size).toBe(0);
  });

  it("works without storage and when storage throws", () => {
    const broken: TDraftStorage = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("SecurityError");
      },
    };
    expect(saveDraft(broken, "u1", "c1", "text")).toBe(false);
    expect(loadDraft(broken, "u1", "c1")).toBe("");
    expect(saveDraft(null, "u1", "c1", "text")).toBe(false);
    expect(loadDraft(null, "u1", "c1")).toBe("");
    expect(() => clearDraft(broken, "u1", "c1")).not.toThrow();
  });
});
