// The ceiling: a bare Fastify route answering a constant, measured the same way as Arbiter.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/decisions', async () => ({ id: 'dec_constant', status: 'allowed', effect: 'allow' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
