/**
 * Decorates the instance with the service layer. Without a store (the OpenAPI script
 * builds the app only to read its routes) every use of `services` fails with
 * StoreUnavailableError, which answers 503.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { StoreUnavailableError } from '../../service/index.js'
import type { Services } from '../../service/index.js'

export const servicesPlugin = fp(async function services (app: FastifyInstance, opts: { services: Services | undefined }) {
  const services = opts.services
  app.decorate('services', {
    getter (): Services {
      if (services === undefined) throw new StoreUnavailableError('no store configured')
      return services
    }
  })
}, { name: 'gatehouse-services', fastify: '5.x' })
