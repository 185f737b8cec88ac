import { RenderMode, ServerRoute } from '@angular/ssr';

// The home page is prerendered by `ng build`, the account page rendered by
// the server on each request: both kinds of server render.
export const serverRoutes: ServerRoute[] = [
  { path: '', renderMode: RenderMode.Prerender },
  { path: '**', renderMode: RenderMode.Server },
];
