import type { TemplatedApp } from 'uWebSockets.js';
import { readBody, replyAsync } from '../http/respond.ts';
import type { Logger } from '../logger.ts';
import { DEFAULT_FETCH_LIMITS } from './safe-fetch.ts';
import type { FeedSubscriptions } from './subscriptions.ts';

/** Deliveries carry a whole feed document: the same cap as a fetched feed. */
const MAX_DELIVERY_BYTES = DEFAULT_FETCH_LIMITS.maxBodyBytes;

/**
 * The WebSub callback, `<MERIDIAN_PUBLIC_URL>/websub/:id`: GET is the hub's verification of intent
 * (or denial), POST a content distribution. Answered by whichever node the load balancer picks.
 */
export function registerWebSubRoutes(app: TemplatedApp, feeds: FeedSubscriptions, logger: Logger): void {
  const plain = { 'content-type': 'text/plain; charset=utf-8' };

  app.get('/websub/:id', (res, req) => {
    const id = req.getParameter('id') ?? '';
    const query = new URLSearchParams(req.getQuery() ?? '');
    replyAsync(res, logger, async () => {
      const answer = await feeds.verify(id, query);
      return { status: answer.status, text: answer.text, headers: plain };
    });
  });

  app.post('/websub/:id', (res, req) => {
    const id = req.getParameter('id') ?? '';
    const signature = req.getHeader('x-hub-signature') || undefined;
    // Attached before the handler returns: uWS hands the body only to a reader set up now.
    const body = readBody(res, MAX_DELIVERY_BYTES);
    replyAsync(res, logger, async () => {
      const answer = await feeds.deliver(id, signature, await body);
      return { status: answer.status, text: answer.text, headers: plain };
    });
  });
}
