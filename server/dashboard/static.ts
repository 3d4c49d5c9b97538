// Serves the built dashboard (dashboard/dist) at /dashboard/ for same-origin use. (Being built.)
import { Hono } from 'hono'
import type { AppEnv } from '../http/context.js'

export function dashboardRoutes() {
  return new Hono<AppEnv>()
}
