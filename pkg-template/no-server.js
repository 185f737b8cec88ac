// "#keep-session-alive/server" in a browser build (package.json's imports):
// no server keeper, so a framework entry's browser bundle carries none.
export const SessionKeeper = undefined;
