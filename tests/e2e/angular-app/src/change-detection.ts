// Zoneless change detection (Angular 22's default), made explicit. The `zone`
// build configuration replaces this file with change-detection.zone.ts.
import { provideZonelessChangeDetection } from '@angular/core';

export const changeDetection = { provider: provideZonelessChangeDetection() };
