// Seed 002's silent refresh, as the article's AuthService does it: the access
// token in memory, the refresh token an HttpOnly cookie, and in every tab a
// timer that refreshes shortly before expiry. The lead is 1 minute, as the
// issue states it for this seed (the article's snippet says 300 s; the SDK's
// default refreshLeadMs is 60 s, so both designs get the same lead). A failed
// refresh stops that tab's timer (the article logs out; here that would only
// revoke the family for the other tabs) and is counted in `failures`.
const REFRESH_LEAD_S = 60;

export class Seed002AuthService {
  constructor() {
    this.accessToken = null;
    this.refreshTokenTimeout = null;
    this.failures = 0;
  }

  async login(email, password) {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'include',
      body: JSON.stringify({ email, password }),
    });
    if (!response.ok) throw new Error('Login failed');
    const { accessToken, expiresIn } = await response.json();
    this.accessToken = accessToken;
    this.scheduleTokenRefresh(expiresIn);
  }

  // A new tab has no token in memory: it trades the cookie for one.
  async refreshAccessToken() {
    try {
      const response = await fetch('/api/auth/refresh', { method: 'POST', credentials: 'include' });
      if (!response.ok) throw new Error(`Refresh failed: HTTP ${response.status}`);
      const { accessToken, expiresIn } = await response.json();
      this.accessToken = accessToken;
      this.scheduleTokenRefresh(expiresIn);
      return accessToken;
    } catch (error) {
      this.failures++;
      clearTimeout(this.refreshTokenTimeout);
      this.accessToken = null;
      return null;
    }
  }

  scheduleTokenRefresh(expiresIn) {
    if (this.refreshTokenTimeout) clearTimeout(this.refreshTokenTimeout);
    const refreshTime = (expiresIn - REFRESH_LEAD_S) * 1000;
    this.refreshTokenTimeout = setTimeout(() => {
      this.refreshAccessToken();
    }, refreshTime);
  }
}
