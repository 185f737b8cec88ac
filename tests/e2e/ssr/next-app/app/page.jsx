export default function Home() {
  return (
    <main>
      <h1>Home</h1>
      <p>The home page, rendered by the server.</p>
    </main>
  );
}
