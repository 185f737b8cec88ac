// The npm README's auth0-spa-js 2 recipe as the keeper's token source against
// the suite's OpenID Provider dressed as Auth0 (oidc/apps/auth0/dress.mjs:
// https, Auth0's paths, rotation with reuse detection): the scenarios every
// recipe passes (oidc/scenarios.mjs). auth0-spa-js keeps its cache, and so
// the one rotating refresh token, in localStorage for every tab, so the tab
// opened before the sign-in refreshes like any other.
import { tokenSourceScenarios } from './oidc/scenarios.mjs';

tokenSourceScenarios('auth0', import.meta.url, { label: 'auth0-spa-js' });
