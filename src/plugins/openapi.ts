import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { describeOperation, withUsedSchemasOnly } from './openapi-document.js';

/**
 * The OpenAPI document is generated from the same zod schemas that validate and whitelist;
 * openapi-document.ts adds what follows from each route's declaration (security, problems,
 * headers). It passes Redocly's `recommended` rules (test/operations-openapi.test.ts).
 */
export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Chorus',
          description:
            'Letter-writing advocacy campaigns: organizer API (bearer keys) and public action API. Every error is an RFC 9457 problem document; every response carries X-Request-Id.',
          version: '1.0.0',
        },
        servers: [{ url: app.config.PUBLIC_URL }],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`npm run keys`, POST /api/v1/keys) or ADMIN_API_KEY' } } },
      },
      transform: describeOperation,
      transformObject: withUsedSchemasOnly,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'openapi', dependencies: ['services'] },
);
