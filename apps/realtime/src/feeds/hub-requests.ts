import type { AddressPolicy } from './address-policy.ts';
import { FetchRefused, type SafeFetchLimits, safeFetch } from './safe-fetch.ts';

/** Why a hub did not take a (un)subscription request, in words for the layer status. */
export class HubRequestFailed extends Error {
  override name = 'HubRequestFailed';
}

/**
 * W3C WebSub §5.1: `POST <hub>` with a form. `hub.secret` and `hub.lease_seconds` go with a
 * subscribe only. A 2xx (202 Accepted, as the spec asks; some hubs say 204) means the request is
 * pending verification of intent; anything else is the hub's refusal.
 */
export async function sendHubRequest(
  request: {
    hub: string;
    mode: 'subscribe' | 'unsubscribe';
    topic: string;
    callback: string;
    secret?: string;
    leaseS?: number;
  },
  policy: AddressPolicy,
  limits?: SafeFetchLimits,
): Promise<void> {
  const form = new URLSearchParams({
    'hub.mode': request.mode,
    'hub.topic': request.topic,
    'hub.callback': request.callback,
  });
  if (request.mode === 'subscribe') {
    if (request.secret) form.set('hub.secret', request.secret);
    if (request.leaseS) form.set('hub.lease_seconds', String(request.leaseS));
  }
  const body = Buffer.from(form.toString());
  let status: number;
  let answer: string;
  try {
    const response = await safeFetch(
      request.hub,
      policy,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(body.length),
          'user-agent': 'Meridian live feeds (WebSub subscriber)',
        },
        body,
      },
      limits,
    );
    status = response.status;
    answer = response.body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim();
  } catch (error) {
    const words = error instanceof FetchRefused && error.reason === 'address' ? 'refused' : 'hub unreachable';
    throw new HubRequestFailed(`${words}: ${(error as Error).message}`);
  }
  if (status < 200 || status >= 300) {
    throw new HubRequestFailed(
      `the hub refused to ${request.mode} (${status}${answer ? `: ${answer}` : ''})`,
    );
  }
}
