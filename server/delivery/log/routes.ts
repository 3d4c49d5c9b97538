// The delivery log API: list, read, retry, replay. (Being built.)
import { newRouter } from '../../http/openapi.js'

export function deliveryLogRoutes() {
  return newRouter()
}
