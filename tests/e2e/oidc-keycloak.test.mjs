// The npm README's keycloak-js 26 recipe as the keeper's token source
// against the suite's OpenID Provider dressed as Keycloak (oidc/apps/keycloak/
// dress.mjs): the scenarios every recipe passes (oidc/scenarios.mjs).
// keycloak-js keeps its tokens in memory, per tab: each tab's init() gets its
// own from the provider's session (check-sso), and a tab opened before the
// sign-in has none, so its `refresh` answers 'elsewhere' and another tab
// refreshes for it.
import { tokenSourceScenarios } from './oidc/scenarios.mjs';

tokenSourceScenarios('keycloak', import.meta.url, { beforeSignIn: 'elsewhere', afterLogoutReload: ['consent_required'], label: 'keycloak-js' });
