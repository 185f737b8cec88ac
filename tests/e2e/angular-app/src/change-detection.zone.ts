// Change detection by zone.js (loaded as the `zone` configuration's polyfill):
// every task that zone.js sees inside the Angular zone runs change detection.
import { provideZoneChangeDetection } from '@angular/core';

export const changeDetection = { provider: provideZoneChangeDetection() };
