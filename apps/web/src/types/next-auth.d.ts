import type { DefaultSession } from "next-auth";

declare module "next-auth" {
  /** What `authorize` returns: the user plus the AuthSession row created for this sign-in. */
  interface User {
    id: string;
    role: string;
    sid: string;
  }
  interface Session {
    user: { id: string; role: string } & DefaultSession["user"];
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    /** AuthSession id: the server-side session this cookie stands for; revoking it ends the cookie. */
    sid?: string;
    uid?: string;
    role?: string;
  }
}
