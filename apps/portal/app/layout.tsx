import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';
import { TopBar } from './top-bar';

export const metadata: Metadata = { title: 'Fundus Forge', description: 'Expert rating, audit and model operations' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TopBar />
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
