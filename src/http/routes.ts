/**
 * The routes an Express router registers, read from its stack (routes and the
 * routers it mounts at its root), so docs/openapi.yaml can be checked against
 * what the server really answers. Express writes parameters as `:name`; the
 * list uses OpenAPI's `{name}`.
 */
import type { Router } from 'express';

export interface RouteInfo {
  method: string;
  /** OpenAPI form: /api/v1/room/{name} */
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

export function routesOf(router: Router, prefix: string): RouteInfo[] {
  const out: RouteInfo[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        const path = (prefix + layer.route.path).replace(/:(\w+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') out.push({ method: method.toUpperCase(), path });
      } else if (Array.isArray(layer.handle?.stack)) {
        // Nested routers here are mounted at their parent's root (router.use(child)).
        walk(layer.handle.stack);
      }
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack);
  return out;
}
