import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bodyLimit } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { loggerOptions } from '../src/logging.js';
import { CountSchema, SubmitLettersSchema, SubmitResultSchema } from '../src/schemas/letter.js';

/**
 * The baselines: a bare Fastify app with the service's own server options, logger settings,
 * body schema and response schemas, and no storage. What the service adds on top of this
 * (rate limit, rendering, the database) is what the ratios measure.
 */
const config = loadConfig(process.env);
const app = Fastify({
  logger: loggerOptions(config),
  bodyLimit,
  trustProxy: config.TRUST_PROXY,
  onProtoPoisoning: 'error',
  onConstructorPoisoning: 'error',
  return503OnClosing: true,
}).withTypeProvider<ZodTypeProvider>();
app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);

const SlugParams = z.strictObject({ slug: z.string().min(1).max(64) });
// The same shape as the service's count, so serializing it costs the same.
const count = {
  supporters: 3800,
  letters: 3800,
  delivered: 3800,
  goal: 5000,
  updatedAt: '2012-10-01T09:00:00.000Z',
  online: { supporters: 3800, letters: 3800 },
  offline: { supporters: 0, letters: 0 },
};

app.post(
  '/api/v1/actions/:slug/letters',
  { schema: { params: SlugParams, body: SubmitLettersSchema, response: { 202: SubmitResultSchema } } },
  async (_req, reply) => reply.code(202).send({ status: 'queued' }),
);
app.get('/api/v1/actions/:slug/count', { schema: { params: SlugParams, response: { 200: CountSchema } } }, async () => count);
app.get('/healthz', async () => ({ status: 'ok' }));

process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
await app.listen({ port: config.PORT, host: config.HOST });
