// Test only, after the recipe's plugin (plugins run in file-name order): with
// ?hold in the address the app waits to hydrate until the test calls
// window.ksaRelease(). Meanwhile window.ksaEarlyState() reads the keeper's
// state: the test lets the keeper hear from the other tabs first, as on a
// slow network where the page's code arrives late.
import { useSessionKeeper } from 'keep-session-alive/vue';

export default defineNuxtPlugin(async (nuxtApp) => {
  if (!new URLSearchParams(location.search).has('hold')) return;
  const keeper = nuxtApp.vueApp.runWithContext(() => useSessionKeeper());
  window.ksaEarlyState = () => keeper.state;
  await new Promise((resolve) => (window.ksaRelease = resolve));
});
