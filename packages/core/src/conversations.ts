/**
 * Channels, DMs and membership, by job: conversations/view.ts (what a user sees: list, one
 * conversation, browse, members), conversations/channels.ts (create a channel or DM; rename,
 * topic, archive, default channels), conversations/members.ts (join, add, leave, remove, mute) and
 * conversations/defaults.ts (#general and the channels people join at sign-up), conversations/admin.ts
 * (the admin console's list, convert and owner change; deleting a channel, conversations/delete.ts,
 * is exported from `@parley/core/files` as it takes the storage). Every change
 * appends to the conversation's log (tx.ts) under the conversation's row lock; membership changes
 * also append to the affected users' own logs so their other devices learn about it. Order of
 * locks: conversation row, then user rows by id. Read positions (markRead) are messages/read.ts.
 */
export {
  ADMIN_CHANNELS_PAGE,
  convertChannel,
  listAdminChannels,
  setChannelArchived,
  setChannelOwner,
  type TAdminChannelDto,
  type TAdminChannelPage,
  type TAdminChannelPerson,
  type TListAdminChannels,
  ZConvertChannel,
  ZListAdminChannels,
  ZSetChannelArchived,
  ZSetChannelOwner,
} from "./conversations/admin.ts";
export {
  archiveConversation,
  createChannel,
  openDm,
  renameChannel,
  setDefaultChannel,
  setTopic,
  unarchiveConversation,
} from "./conversations/channels.ts";
export {
  addMembers,
  joinChannel,
  leaveConversation,
  removeMember,
  setMuted,
} from "./conversations/members.ts";
export {
  browseChannels,
  getConversation,
  listMembers,
  listMyConversations,
  type TBrowseChannelDto,
  type TConversationDto,
  type TMemberDto,
} from "./conversations/view.ts";
