/** The Slack-compatible Web API (docs/integrations.md). */
export { createSlackHandler, SLACK_METHODS, type TSlackHandlerOptions } from "./handler.ts";
export {
  createIncomingWebhookHandler,
  createResponseUrlHandler,
  type THooksHandlerOptions,
} from "./hooks-handler.ts";
export { blocksToMarkdown, mrkdwnToMarkdown } from "./mrkdwn.ts";
export { createSlackUploadHandler, type TSlackUploadHandlerOptions } from "./upload-handler.ts";
