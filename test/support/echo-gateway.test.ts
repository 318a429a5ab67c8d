/** The echo gateway: forwards to a fake untouched, except that errors repeat the request's credentials. */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { credentialsOf, startEchoGateway, type EchoGateway } from './echo-gateway.js';

let fake: FakeChargebee | undefined;
let gateway: EchoGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  await fake?.close();
  gateway = fake = undefined;
});

const closeLater = (g: EchoGateway) => void (gateway = g);
const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

describe('echo gateway', () => {
  it('forwards a good request untouched and echoes the credentials of a refused one in the vendor message', async () => {
    const started = await startFakeChargebee({ customers: 12, apiKey: 'right-key' });
    fake = started;
    const gateway = await startEchoGateway(started.url);
    closeLater(gateway);
    const ok = await fetch(`${gateway.through(started.url)}/customers?limit=2`, { headers: { authorization: basic('right-key') } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { list: unknown[] }).list).toHaveLength(2);

    const refused = await fetch(`${gateway.through(started.url)}/customers`, { headers: { authorization: basic('wrong+key/"x"') } });
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body['api_error_code']).toBe('api_authentication_failed');
    expect(body['message']).toBe(
      `Sorry, authentication failed. Invalid api key [request credentials: ${basic('wrong+key/"x"')} (url ${encodeURIComponent(basic('wrong+key/"x"'))}, base64 ${Buffer.from(basic('wrong+key/"x"')).toString('base64')}); wrong+key/"x" (url wrong%2Bkey%2F%22x%22, base64 ${Buffer.from('wrong+key/"x"').toString('base64')})]`,
    );
    expect([...gateway.credentials].sort()).toEqual([basic('right-key'), basic('wrong+key/"x"'), 'right-key', 'wrong+key/"x"'].sort());
    expect(gateway.echoed).toBe(1);
  });

  it('finds credentials in headers, forms, JSON and XML bodies', () => {
    expect(credentialsOf({ 'x-api-key': 'de_key_1' }, '')).toEqual(['de_key_1']);
    expect(credentialsOf({ 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=refresh_token&refresh_token=RT%2B1')).toEqual(['RT+1']);
    expect(credentialsOf({ 'content-type': 'application/json' }, '{"auth":{"password":"pw-1234"}}')).toEqual(['pw-1234']);
    expect(credentialsOf({ 'content-type': 'application/xml' }, '<control><password>s&amp;p-1</password></control><sessionid>sess-1</sessionid>')).toEqual([
      's&p-1',
      'sess-1',
    ]);
  });
});
