import { ChangeDetectionStrategy, Component, computed, effect, inject, signal } from '@angular/core';
import { SESSION_KEEPER, injectSessionEvent, injectSessionState } from 'keep-session-alive/angular';

@Component({
  selector: 'app-session-warning',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (ended() === 'idle') {
      <p role="alert">You were signed out after a period of inactivity.</p>
    }
    @if (warning(); as w) {
      <div role="alertdialog" aria-modal="true" aria-labelledby="ksa-warning">
        <p id="ksa-warning">
          {{ w.idle ? 'Are you still there? You will be signed out in' : 'Your session ends in' }}
          <strong>{{ secondsLeft() }} s</strong>.
        </p>
        @if (w.idle) {
          <button (click)="keeper.staySignedIn()">Stay signed in</button>
        }
        <button (click)="keeper.logout()">Log out</button>
      </div>
    }
  `,
})
export class SessionWarning {
  protected readonly keeper = inject(SESSION_KEEPER);
  private readonly state = injectSessionState();
  protected readonly ended = signal<string | null>(null);
  // Up while the keeper warns: the deadline it counts down to, and whether
  // it is the idle timeout (which "stay signed in" answers) or the absolute one.
  protected readonly warning = computed(() => {
    const s = this.state();
    if (!s.authenticated || s.warningRemainingMs === null) return null;
    const idle = s.idleAt !== null && (s.absoluteAt === null || s.idleAt <= s.absoluteAt);
    const until = idle ? s.idleAt : s.absoluteAt;
    return until === null ? null : { idle, until };
  });
  // A clock that ticks once a second, only while the dialog is up.
  private readonly now = signal(Date.now());
  protected readonly secondsLeft = computed(() => {
    const w = this.warning();
    return w ? Math.max(0, Math.ceil((w.until - this.now()) / 1000)) : 0;
  });

  constructor() {
    injectSessionEvent('logout', (e) => this.ended.set(e.detail.reason));
    injectSessionEvent('login', () => this.ended.set(null));
    effect((onCleanup) => {
      if (!this.warning()) return;
      this.now.set(Date.now());
      const timer = setInterval(() => this.now.set(Date.now()), 1000);
      onCleanup(() => clearInterval(timer));
    });
  }
}
