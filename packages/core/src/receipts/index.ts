/** Read receipts: delivered cursors, the live relay, what members see, the preference. */
export * from "./cursors.ts";
export * from "./relay.ts";
export * from "./view.ts";
