import { ChannelDetails } from "~/components/channel-details";

type Props = { params: Promise<{ conversationId: string }> };

export default async function ChannelDetailsPage({ params }: Props) {
  const { conversationId } = await params;
  return <ChannelDetails key={conversationId} conversationId={conversationId} />;
}
