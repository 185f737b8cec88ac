// The npm README's @azure/msal-browser 5 recipe as the keeper's token source
// against the suite's OpenID Provider dressed as Entra ID (oidc/apps/msal/
// dress.mjs: https, OIDC protocol mode, rotation without reuse detection, no
// revocation endpoint): the scenarios every recipe passes
// (oidc/scenarios.mjs). MSAL keeps its account and refresh token in
// localStorage for every tab, so the tab opened before the sign-in can
// refresh; without a revocation endpoint, logout only forgets the tokens.
import { tokenSourceScenarios } from './oidc/scenarios.mjs';

tokenSourceScenarios('msal', import.meta.url, { label: 'msal-browser' });
