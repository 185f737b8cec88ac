import { Component } from '@angular/core';

@Component({
  selector: 'app-account',
  template: `
    <main>
      <h1>Account</h1>
      <p>The account page, rendered by the server on each request.</p>
    </main>
  `,
})
export class Account {}
