/** The single workspace row's id — a leaf module, so any file may import it without a cycle. */
export const WORKSPACE_ID = 1;
