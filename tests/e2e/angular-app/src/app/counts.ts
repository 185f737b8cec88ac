// What the test reads from the page: how often Angular ran change detection
// (every application tick runs afterEveryRender hooks) and how often an
// effect on the session state signal ran; whether zone.js runs it; a way
// to destroy the app (and with it the keeper).
import type { SessionKeeper } from 'keep-session-alive';

export interface Counts {
  mode: string;
  changeDetections: number;
  stateEffects: number;
}

declare global {
  interface Window {
    counts: Counts;
    keeper: SessionKeeper;
    unmountApp: () => void;
  }
}

export const counts: Counts = (window.counts = { mode: '', changeDetections: 0, stateEffects: 0 });
