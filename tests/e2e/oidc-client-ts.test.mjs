// The npm README's oidc-client-ts 3 recipe as the keeper's token source
// against the suite's OpenID Provider (oidc-provider as it is: rotation with
// reuse detection): the scenarios every recipe passes (oidc/scenarios.mjs).
// oidc-client-ts keeps its user, and so the one rotating refresh token, in
// localStorage for every tab, so the tab opened before the sign-in refreshes
// like any other. The scenarios proper to oidc-client-ts (its own renewal
// without the keeper, idle, holds, a lone tab's reload) are in oidc.test.mjs.
import { tokenSourceScenarios } from './oidc/scenarios.mjs';

tokenSourceScenarios('oidc-client-ts', import.meta.url, { beforeSignIn: 'refreshes' });
