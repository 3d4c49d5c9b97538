// GET /v1/event-types and POST /v1/events. (Being built.)
import { newRouter } from '../http/openapi.js'

export function eventRoutes() {
  return newRouter()
}
