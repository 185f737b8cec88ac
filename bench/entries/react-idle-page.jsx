// (d) of the CPU part: react-idle-timer's useIdleTimer, as its README sets it
// up, in the smallest React page. Bundled whole (React included) by the bench.
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import { DEFAULT_EVENTS, useIdleTimer } from 'react-idle-timer';

// Its defaults listen to mousemove, not pointermove; like every configuration
// of the bench, it listens to the types the bench dispatches.
const events = [...DEFAULT_EVENTS, 'pointermove'];

function App() {
  useIdleTimer({ timeout: 15 * 60_000, events, onIdle: () => {} });
  return null;
}

/** Mounts the app and resolves once its effects (the listeners) are attached. */
export async function mount() {
  const root = createRoot(document.body.appendChild(document.createElement('div')));
  flushSync(() => root.render(<App />));
  await new Promise((r) => setTimeout(r, 50));
}
