// The endpoint API's routes as OpenAPI definitions; routes.ts attaches the handlers.
import { createRoute, z } from '@hono/zod-openapi'
import { bearerSecurity, idempotencyHeader, jsonContent } from '../http/openapi.js'
import { idempotent } from '../idempotency/middleware.js'
import {
  CreateEndpointBody, Endpoint, EndpointPage, EndpointWithSecret, IdParam, ListQuery, RotateResult, RotateSecretBody, SecretReveal, UpdateEndpointBody,
} from './schemas.js'

const body = <T extends z.ZodType>(schema: T, required = true) => ({ content: { 'application/json': { schema } }, required })
const tags = ['Webhook endpoints']

export const listRoute = createRoute({
  method: 'get', path: '/', security: bearerSecurity, tags, summary: "List the user's webhook endpoints, oldest first", operationId: 'listEndpoints',
  request: { query: ListQuery },
  responses: { 200: jsonContent(EndpointPage, 'A page of endpoints with 24 h delivery figures') },
})

export const createEndpointRoute = createRoute({
  method: 'post', path: '/', security: bearerSecurity, tags, summary: 'Add a webhook endpoint', operationId: 'createEndpoint',
  description: 'The answer carries the signing secret; it is shown again only by the reveal and rotate routes. ' +
    'With an Idempotency-Key header, a repeat of the same request within 24 h answers the first answer again.',
  middleware: [idempotent] as const,
  request: { body: body(CreateEndpointBody), headers: idempotencyHeader },
  responses: { 201: jsonContent(EndpointWithSecret, 'The new endpoint and its secret') },
})

export const getRoute = createRoute({
  method: 'get', path: '/{id}', security: bearerSecurity, tags, summary: 'One webhook endpoint', operationId: 'getEndpoint',
  request: { params: IdParam },
  responses: { 200: jsonContent(Endpoint, 'The endpoint (without its secret)') },
})

export const updateRoute = createRoute({
  method: 'patch', path: '/{id}', security: bearerSecurity, tags, summary: 'Change a webhook endpoint', operationId: 'updateEndpoint',
  request: { params: IdParam, body: body(UpdateEndpointBody) },
  responses: { 200: jsonContent(Endpoint, 'The updated endpoint (without its secret)') },
})

export const deleteRoute = createRoute({
  method: 'delete', path: '/{id}', security: bearerSecurity, tags, summary: 'Delete a webhook endpoint', operationId: 'deleteEndpoint',
  description: 'Its pending deliveries stop; its delivery log stays until the log retention purges it.',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' } },
})

export const revealRoute = createRoute({
  method: 'get', path: '/{id}/secret', security: bearerSecurity, tags, summary: "Reveal the endpoint's current signing secret", operationId: 'revealEndpointSecret',
  request: { params: IdParam },
  responses: { 200: jsonContent(SecretReveal, 'The secret and its key id') },
})

export const rotateRoute = createRoute({
  method: 'post', path: '/{id}/rotate-secret', security: bearerSecurity, tags, summary: 'Replace the signing secret', operationId: 'rotateEndpointSecret',
  middleware: [idempotent] as const,
  description: 'The old secret keeps signing next to the new one for grace_seconds, so receivers can switch without missing a delivery.',
  request: { params: IdParam, body: body(RotateSecretBody, false), headers: idempotencyHeader },
  responses: { 200: jsonContent(RotateResult, 'The new secret; the previous key id and when it stops signing') },
})
