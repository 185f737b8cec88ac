import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { SESSION_KEEPER, injectSessionEvent, injectSessionState } from 'keep-session-alive/angular';

@Component({
  selector: 'app-session-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <aside aria-label="Session">
      <p data-testid="status">{{ status() }}</p>
      @if (ended(); as reason) {
        <p data-testid="reason">last logout: {{ reason }}</p>
      }
      @if (state().authenticated) {
        <button (click)="keeper.logout()">Sign out</button>
      }
    </aside>
  `,
})
export class SessionStatus {
  // On the server: an inert keeper, whose state is the one every keeper starts in.
  protected readonly keeper = inject(SESSION_KEEPER);
  protected readonly state = injectSessionState();
  protected readonly ended = signal<string | null>(null);
  protected readonly status = computed(() => {
    const s = this.state();
    return s.restoring ? 'restoring' : s.authenticated ? 'signed in' : 'signed out';
  });

  constructor() {
    injectSessionEvent('logout', (e) => this.ended.set(e.detail.reason));
  }
}
