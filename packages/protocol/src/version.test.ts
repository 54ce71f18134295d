import { expect, it } from 'vitest';
import { CloseCode } from './codes.ts';
import { PROTOCOL_VERSION } from './version.ts';

it('pins the protocol version: bumping it is a deliberate, reviewed change', () => {
  expect(PROTOCOL_VERSION).toBe(4);
});

it('keeps RFC 6455 codes for their meaning and ours in 4000-4999', () => {
  expect(CloseCode.MESSAGE_TOO_BIG).toBe(1009);
  expect(CloseCode.SERVICE_RESTART).toBe(1012);
  const own = [
    CloseCode.UNSUPPORTED_PROTOCOL_VERSION,
    CloseCode.HELLO_TIMEOUT,
    CloseCode.TOKEN_EXPIRED,
    CloseCode.SLOW_CONSUMER,
  ];
  for (const code of own) expect(code >= 4000 && code <= 4999).toBe(true);
});
