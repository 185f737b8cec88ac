// keep-session-alive where there is no browser: Node, a server render, a
// prerender, an edge function. package.json's exports give this module
// instead of the WebAssembly glue under the "node", "edge-light" and
// "workerd" conditions (the "browser" condition wins where both are set),
// and the framework entries take their server keeper from it
// ("#keep-session-alive/server" in package.json's imports).
//
// Nothing here fetches, schedules or listens. init() resolves at once. A
// SessionKeeper made here is inert: its state is the one every browser
// keeper starts in (restoring, signed out), so a server render shows what
// the first browser render shows; no event ever fires; what needs a browser
// (login, logout, fetch, getAccessToken) rejects and says so. In the browser
// the same code gets the real keeper.

import { SERVER_STATE } from './session-store.js';

const NO_WINDOW = 'this SessionKeeper was made where there is no window (a server render), where it does nothing';

function needsBrowser(method) {
  return Promise.reject(
    new Error(`keep-session-alive: ${method} needs a browser: ${NO_WINDOW}; call it from the browser (an event handler or an effect)`),
  );
}

/** A hold made where there is no browser: never in force. */
export class ActivityHold {
  #label;
  constructor(label) {
    this.#label = label ?? undefined;
  }
  get label() {
    return this.#label;
  }
  get held() {
    return false;
  }
  release() {}
  free() {}
}

/** An inert SessionKeeper: the same methods, none of which does anything here. */
export class SessionKeeper {
  // The options are checked by the browser's keeper, which the same code makes there.
  constructor(_options) {}
  get state() {
    return SERVER_STATE;
  }
  login() {
    return needsBrowser('login()');
  }
  logout() {
    return needsBrowser('logout()');
  }
  fetch() {
    return needsBrowser('keeper.fetch()');
  }
  getAccessToken() {
    return needsBrowser('getAccessToken()');
  }
  // Nothing to start, dismiss, touch or hold here: the browser's keeper
  // does it when the same code runs there.
  setSession() {}
  staySignedIn() {}
  touch() {}
  holdActive(label) {
    return new ActivityHold(label);
  }
  addEventListener() {}
  removeEventListener() {}
  dispose() {}
  free() {}
}

if (Symbol.dispose) {
  SessionKeeper.prototype[Symbol.dispose] = SessionKeeper.prototype.free;
  ActivityHold.prototype[Symbol.dispose] = ActivityHold.prototype.free;
}

/** The web target's init(): nothing to load here. */
export default async function init() {}

/** The web target's initSync(): nothing to load here. */
export function initSync() {}
