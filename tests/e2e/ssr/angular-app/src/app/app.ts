import { Component } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';
import { SessionStatus } from './session-status';
import { TestOnly } from './test-only';

@Component({
  selector: 'app-root',
  imports: [RouterLink, RouterOutlet, SessionStatus, TestOnly],
  template: `
    <nav><a routerLink="/">Home</a> <a routerLink="/account">Account</a></nav>
    <app-session-status />
    <app-test-only />
    <router-outlet />
  `,
})
export class App {}
