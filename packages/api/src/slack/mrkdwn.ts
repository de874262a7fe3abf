/** Slack mrkdwn and blocks → Parley markdown: moved to core (bots/mrkdwn.ts) so slash-command answers use it too. */
export { blocksToMarkdown, mrkdwnToMarkdown } from "@parley/core";
