import Link from "next/link";

export default function AppHome() {
  return (
    <div className="page">
      <h1>Welcome to Parley</h1>
      <p className="muted">Pick a conversation in the sidebar, or:</p>
      <ul>
        <li>
          <Link href="/app/browse">Browse channels</Link> to join one
        </li>
        <li>
          <Link href="/app/new-channel">Create a channel</Link>
        </li>
        <li>
          <Link href="/app/new-message">Start a direct message</Link>
        </li>
        <li>
          <Link href="/app/settings">Invite people</Link> from settings
        </li>
      </ul>
    </div>
  );
}
