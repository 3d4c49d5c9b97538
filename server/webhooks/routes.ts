// Endpoint CRUD: GET/POST /v1/webhooks, GET/PATCH/DELETE /v1/webhooks/:id. (Being built.)
import { newRouter } from '../http/openapi.js'

export function webhookRoutes() {
  return newRouter()
}
