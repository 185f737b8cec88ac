import Link from 'next/link';
import { SessionStatus } from './session-status';
import { SignIn, TestProbe } from './test-only';

export const metadata = { title: 'keep-session-alive in Next.js' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <nav>
          <Link href="/">Home</Link> <Link href="/account">Account</Link>
        </nav>
        <SessionStatus />
        <SignIn />
        <TestProbe />
        {children}
      </body>
    </html>
  );
}
