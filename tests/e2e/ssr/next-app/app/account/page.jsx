// Rendered on each request (not prerendered), so that both kinds of server
// render are covered: the home page is prerendered by `next build`.
export const dynamic = 'force-dynamic';

export default function Account() {
  return (
    <main>
      <h1>Account</h1>
      <p>The account page, rendered by the server on each request.</p>
    </main>
  );
}
