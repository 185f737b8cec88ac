import { Component } from '@angular/core';

@Component({
  selector: 'app-home',
  template: `
    <main>
      <h1>Home</h1>
      <p>The home page, rendered by the server.</p>
    </main>
  `,
})
export class Home {}
