// How the project's Node scripts start Debian's Chromium through playwright-core:
// nothing downloads a browser (CHROMIUM=/path overrides /usr/bin/chromium), and
// the background services that would call out of this closed network are off.
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
