// Delivery log, redelivery, test sends and /tick. (Being built.)
import { newRouter } from '../http/openapi.js'

export function deliveryRoutes() {
  return newRouter()
}
