import * as ksa from 'keep-session-alive';
import { createApp } from 'vue';
import { keepSessionAlive } from 'keep-session-alive/vue';
import App from './App.vue';
// The keeper's options, the same in every app of the suite (read by the test too).
import keeperOptions from '../../lib/app-keeper-options.json';

// What the test reads: every component render (first or again) of the app.
window.counts = { renders: 0 };
const countRender = () => window.counts.renders++;

async function main() {
  // The web target exports init(); the bundler target initialises itself on import.
  if (typeof ksa.default === 'function') await ksa.default();
  const keeper = new ksa.SessionKeeper(keeperOptions);
  window.keeper = keeper; // for the test to look at
  const app = createApp(App)
    .mixin({ beforeMount: countRender, beforeUpdate: countRender })
    .use(keepSessionAlive, keeper);
  app.mount('#app');
  window.unmountApp = () => app.unmount(); // the plugin disposes the keeper then
}

main();
