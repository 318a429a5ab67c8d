/**
 * Which credential failed, as Intacct says it (developer.intacct.com/support/faq, "Why am I getting an
 * error about an invalid Web Services authorization?"): a sender whose ID and password are right but
 * that the company has not authorized gets an authentication failure under XL03000006, the errorno
 * of a wrong user password too. The README promises that a wrong sender or user "says which of the
 * two failed".
 */
import { describe, expect, it } from 'vitest';
import { IntacctGateway } from '../../../connectors/sage-intacct/gateway.js';
import { LedgersyncError } from '../../../engine/errors.js';
import type { HttpConnection, SendResult } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';

/** Intacct's answer to a sender not authorized in the company, verbatim from its FAQ. */
const senderNotAuthorized = `<response>
    <control>
        <status>success</status>
        <senderid>test_sender_id</senderid>
        <controlid>hello_world</controlid>
        <uniqueid>false</uniqueid>
        <dtdversion>3.0</dtdversion>
    </control>
    <operation>
        <authentication>
            <status>failure</status>
            <userid>test_user_id</userid>
            <companyid>test_company_id</companyid>
        </authentication>
        <errormessage>
            <error>
                <errorno>XL03000006</errorno>
                <description>Invalid Web Services Authorization</description>
                <description2>The sender ID &#039;test_sender_id&#039; is not authorized to make Web Services requests to company ID &#039;test_company_id&#039;.</description2>
                <correction>Contact the company administrator to grant Web Services authorization to this sender ID.</correction>
            </error>
        </errormessage>
    </operation>
</response>`;

const wrongUserPassword = senderNotAuthorized
  .replace('<description>Invalid Web Services Authorization</description>', '<description></description>')
  .replace(/<description2>.*<\/description2>/, '<description2>Sign-in information is incorrect</description2>')
  .replace(/<correction>.*<\/correction>/, '<correction>Check the company ID, user ID and user password.</correction>');

const session = `<response><control><status>success</status></control><operation>
  <authentication><status>success</status><userid>test_user_id</userid><companyid>test_company_id</companyid></authentication>
  <result><status>success</status><function>getAPISession</function><controlid>session</controlid>
    <data><api><sessionid>sess..</sessionid><endpoint>https://api.intacct.com/ia/xml/xmlgw.phtml</endpoint></api></data></result>
</operation></response>`;

/** A connection whose answers are these bodies, in order; counts the requests. */
function answering(...bodies: string[]): HttpConnection & { sent: number } {
  const connection = {
    label: 'Sage Intacct',
    baseUrl: 'https://api.intacct.com/ia/xml/xmlgw.phtml',
    sent: 0,
    request: async () => {
      throw new Error('the gateway sends with send()');
    },
    send: async (): Promise<SendResult> => {
      const text = bodies[connection.sent++];
      if (text === undefined) throw new Error('no more answers');
      const response = { status: 200, headers: new Headers({ 'content-type': 'text/xml' }), url: connection.baseUrl, text, json: () => JSON.parse(text) };
      return { outcome: 'answered', response };
    },
    pause: async () => {},
    retryPolicy: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    stats: { requests: 0, retries: 0, throttled: 0 },
  };
  return connection;
}

const credentials = {
  senderId: 'test_sender_id',
  senderPassword: 'sender-pass-1234',
  companyId: 'test_company_id',
  userId: 'test_user_id',
  userPassword: 'user-pass-5678',
};

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as LedgersyncError,
  );

describe('a sender the company has not authorized', () => {
  it('is reported as the sender’s authorization, with where to add it, not as the user’s password', async () => {
    const error = await failureOf(new IntacctGateway(answering(senderNotAuthorized), credentials, silentLogger).ensureSession());
    expect(error).toBeInstanceOf(LedgersyncError);
    expect({ code: error!.code, kind: error!.kind }).toEqual({ code: 'intacct_xl03000006', kind: 'auth' });
    expect(error!.message).toBe(
      "Sage Intacct company 'test_company_id': the Web Services sender 'test_sender_id' is not authorized in this company (its sender ID and password were accepted): " +
        "XL03000006 Invalid Web Services Authorization The sender ID 'test_sender_id' is not authorized to make Web Services requests to company ID 'test_company_id'.",
    );
    expect(error!.fix).toMatch(
      /^a company administrator adds the sender ID 'test_sender_id' in Intacct under Company > Setup > Company > Security > Web Services authorizations/,
    );
    expect(error!.fix).not.toMatch(/INTACCT_USER_PASSWORD/);
  });

  it('met on a session’s request, stops at once instead of logging in again', async () => {
    const http = answering(session, senderNotAuthorized);
    const gateway = new IntacctGateway(http, credentials, silentLogger);
    const error = await failureOf(gateway.execute([{ controlId: 'q', name: 'readByQuery', body: { object: 'CUSTOMER' } }]));
    expect(error!.message).toMatch(/sender 'test_sender_id' is not authorized in this company/);
    expect(http.sent).toBe(2);
  });
});

describe('a wrong company user', () => {
  it('is still reported as the user, with the user’s variables', async () => {
    const error = await failureOf(new IntacctGateway(answering(wrongUserPassword), credentials, silentLogger).ensureSession());
    expect(error!.message).toMatch(/the company user 'test_user_id' could not log in/);
    expect(error!.fix).toMatch(/INTACCT_USER_PASSWORD/);
  });
});
