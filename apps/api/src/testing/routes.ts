import type { INestApplication } from '@nestjs/common';

export interface RouteKey {
  method: string;
  path: string;
}

/** Every route the HTTP server really serves, read from Express's router (controllers and anything mounted beside them). */
export function registeredRoutes(app: INestApplication): RouteKey[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: Layer[] }; _router?: { stack: Layer[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const routes: RouteKey[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: String(layer.route.path) });
    }
  }
  return routes;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}
