// The app's own parts that the npm README's recipe leaves to the app: a
// sign-in button for the reference server's demo user, and what the test
// reads (window.keeper), set once the app has rendered in the browser.
import { ChangeDetectionStrategy, Component, afterNextRender, inject } from '@angular/core';
import { SESSION_KEEPER, injectSessionState } from 'keep-session-alive/angular';

declare global {
  interface Window {
    keeper?: unknown;
  }
}

@Component({
  selector: 'app-test-only',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (!state().restoring && !state().authenticated) {
      <button (click)="signIn()">Sign in</button>
    }
  `,
})
export class TestOnly {
  private readonly keeper = inject(SESSION_KEEPER);
  protected readonly state = injectSessionState();

  constructor() {
    afterNextRender(() => {
      window.keeper = this.keeper;
    });
  }

  protected signIn() {
    this.keeper.login({ email: 'demo@example.com', password: 'demo-password', mode: 'cookie' });
  }
}
