import { Component, afterEveryRender, computed, effect, inject, signal } from '@angular/core';
import { SESSION_KEEPER, injectSessionEvent, injectSessionState } from 'keep-session-alive/angular';
import { counts } from './counts';
import { SessionWarning } from './session-warning';

@Component({
  selector: 'app-root',
  imports: [SessionWarning],
  template: `
    <main>
      <h1>keep-session-alive in Angular</h1>
      <p data-testid="status">{{ status() }}</p>
      @if (reason(); as reason) {
        <p data-testid="reason">last logout: {{ reason }}</p>
      }
      @if (error(); as error) {
        <p role="alert">{{ error }}</p>
      }
      @if (status() === 'signed out') {
        <button (click)="signIn()">Sign in</button>
      }
      @if (state().authenticated) {
        <section>
          <p>token expires at <span data-testid="expires">{{ state().tokenExpiresAt }}</span></p>
          <button (click)="keeper.logout()">Sign out</button>
        </section>
      }
      <app-session-warning />
    </main>
  `,
})
export class App {
  protected readonly keeper = inject(SESSION_KEEPER);
  protected readonly state = injectSessionState();
  protected readonly status = computed(() => {
    const s = this.state();
    return s.restoring ? 'restoring' : s.authenticated ? 'signed in' : 'signed out';
  });
  protected readonly reason = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);

  constructor() {
    window.keeper = this.keeper; // for the test to look at
    injectSessionEvent('logout', (e) => this.reason.set(e.detail.reason));
    afterEveryRender(() => counts.changeDetections++);
    effect(() => {
      this.state();
      counts.stateEffects++;
    });
  }

  protected async signIn(): Promise<void> {
    this.error.set(null);
    try {
      await this.keeper.login({ email: 'demo@example.com', password: 'demo-password' });
    } catch (e) {
      this.error.set(String((e as Error)?.message ?? e));
    }
  }
}
