import { describe, expect, it } from "vitest";
import { extractCredential } from "./auth.ts";

const req = (url: string, headers: Record<string, string> = {}) => ({ url, headers });

describe("extractCredential", () => {
  it("reads a ticket from the query", () => {
    expect(extractCredential(req("/ws?ticket=abc.def.ghi"))).toEqual({
      kind: "ticket",
      ticket: "abc.def.ghi",
    });
  });

  it("reads a bearer token from the Authorization header, case-insensitively", () => {
    expect(extractCredential(req("/ws", { authorization: "Bearer plt_x" }))).toEqual({
      kind: "token",
      token: "plt_x",
    });
    expect(extractCredential(req("/ws", { authorization: "bearer plt_y" }))).toEqual({
      kind: "token",
      token: "plt_y",
    });
  });

  it("reads a token from the query", () => {
    expect(extractCredential(req("/ws?token=plt_z"))).toEqual({ kind: "token", token: "plt_z" });
  });

  it("prefers the header over the query", () => {
    expect(extractCredential(req("/ws?ticket=t", { authorization: "Bearer plt_h" }))).toEqual({
      kind: "token",
      token: "plt_h",
    });
  });

  it("finds nothing in a bare request or a malformed header", () => {
    expect(extractCredential(req("/ws"))).toBeNull();
    expect(extractCredential(req("/ws?ticket="))).toBeNull();
    expect(extractCredential(req("/ws", { authorization: "Basic dXNlcjpwYXNz" }))).toBeNull();
  });
});
