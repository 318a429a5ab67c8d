// Loaded with `node --import` in front of the built CLI by crash-handler.test.ts: once the run has
// registered the Chargebee key as a secret, a callback throws outside any promise chain with the key
// in its message (as a library's socket error might), which only app/cli.ts's last-resort handler sees.
const secrets = await import(new URL('../../dist/engine/secrets.js', import.meta.url).href);
const key = process.env.CHARGEBEE_API_KEY;
const timer = setInterval(() => {
  if (!secrets.registeredSecrets().includes(key)) return;
  clearInterval(timer);
  throw new Error(`socket closed by peer while sending Authorization for ${key}`);
}, 20);
