import Link from "next/link";

/** Settings (admins): the way to the Health page. */
export function HealthAdmin() {
  return (
    <section className="card" aria-labelledby="health-link-heading">
      <h2 id="health-link-heading">Health</h2>
      <p className="muted">
        Live figures: connections, messages a minute, delivery times, resumes and errors over the last hour.
      </p>
      <p>
        <Link href="/app/settings/health">Open the health page</Link>
      </p>
    </section>
  );
}
