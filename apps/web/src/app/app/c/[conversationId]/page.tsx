import { ConversationView } from "~/components/conversation-view";

type Props = { params: Promise<{ conversationId: string }> };

export default async function ConversationPage({ params }: Props) {
  const { conversationId } = await params;
  // A fresh view (history, outbox, scroll) per conversation.
  return <ConversationView key={conversationId} conversationId={conversationId} />;
}
