// DELETE /v1/webhooks/:id.
//
// Only the endpoint row is deleted here. Deliveries belong to the delivery folder, which alone
// writes the delivery tables: when it next picks up a pending delivery whose endpoint is gone, it
// marks it failed ("Endpoint deleted"). The delivery log of a deleted endpoint stays until the
// normal log retention purges it, so the user can still see what was sent.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { notFound } from '../http/errors.js'
import { bumpEndpoint } from './versions.js'

export async function deleteEndpoint(db: Kysely<Database>, userId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('endpoints').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()
  bumpEndpoint(id)
  if (Number(result.numDeletedRows) === 0) throw notFound('Webhook endpoint')
}
