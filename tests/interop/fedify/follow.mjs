// Interoperability check: a Fedify (npm @fedify/fedify 1.5.9) server follows a
// kuvend organisation and waits for kuvend's Accept.
//
// Usage: node follow.mjs <kuvend-base-url> <org-username> [options]
//   --wait-seconds N   wait N seconds for the Accept and report accepted
//                      true/false instead of failing when none arrives
//                      (default: wait 30 s, and no Accept is a failure)
//   --then-run CMD     if no Accept arrived within --wait-seconds, run CMD with
//                      `sh -c` ({actor} is replaced by the Fedify actor's URL,
//                      e.g. "kuvend admin followers approve ngo {actor}"), then
//                      wait up to 30 s more; the Accept is then required
//   --verbose          Fedify's debug log on stderr
//
// Prints one JSON line on stdout: {"ok":true,...} (exit 0) or
// {"ok":false,"error":"..."} (exit 1).

import { AsyncLocalStorage } from "node:async_hooks";
import { execFile } from "node:child_process";
import http from "node:http";
import { randomUUID } from "node:crypto";
import {
  Accept,
  createFederation,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  getDocumentLoader,
  MemoryKvStore,
  Organization,
  Person,
  Reject,
} from "@fedify/fedify";
import { configure } from "@logtape/logtape";

// ---------------------------------------------------------------- output
let server = null;
let finished = false;

function finish(obj, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(obj) + "\n");
  const exit = () => process.exit(code);
  if (server != null) {
    // Idle keep-alive connections (kuvend's pool) are closed; a request still
    // in flight gets up to 2 s to finish.
    server.close(exit);
    server.closeIdleConnections?.();
    setTimeout(exit, 2000).unref();
  } else {
    exit();
  }
}

function fail(error, extra = {}) {
  finish({ ok: false, error: String(error), ...extra }, 1);
}

// Thrown by the steps below; reported by the catch at the end.
class Failure extends Error {
  constructor(message, extra = {}) {
    super(message);
    this.extra = extra;
  }
}

process.on("uncaughtException", (e) => fail(`uncaught: ${e?.stack ?? e}`));
process.on("unhandledRejection", (e) => fail(`unhandled: ${e?.stack ?? e}`));

// ---------------------------------------------------------------- arguments
function usage(msg) {
  fail(`${msg}; usage: node follow.mjs <kuvend-base-url> <org-username> ` +
    "[--wait-seconds N] [--then-run CMD] [--verbose]");
}

const positional = [];
const opts = { waitSeconds: null, thenRun: null, verbose: false };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--wait-seconds") {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0) usage("--wait-seconds needs a number");
      opts.waitSeconds = n;
    } else if (a === "--then-run") {
      if (argv[i + 1] == null) usage("--then-run needs a command");
      opts.thenRun = argv[++i];
    } else if (a === "--verbose") {
      opts.verbose = true;
    } else if (a.startsWith("--")) {
      usage(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
}

if (positional.length !== 2) usage("expected two arguments");
const [baseArg, orgName] = positional;
let kuvendBase;
try {
  kuvendBase = new URL(baseArg);
} catch {
  usage(`not a URL: ${baseArg}`);
}

// ---------------------------------------------------------------- logging
// Fedify's log records are kept (the last ones explain a failure), and shown
// on stderr with --verbose.
const logLines = [];
function logText(record) {
  let msg = "";
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    msg += i % 2 === 0 ? part : (typeof part === "string" ? part : (
      part instanceof Error ? String(part) : safeJson(part)
    ));
  }
  return `${record.level} ${record.category.join(".")}: ${msg}`;
}
function safeJson(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    keep: (record) => {
      const line = logText(record);
      logLines.push(line);
      if (logLines.length > 200) logLines.shift();
      if (opts.verbose) process.stderr.write(line + "\n");
    },
  },
  loggers: [
    { category: "fedify", lowestLevel: "debug", sinks: ["keep"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["keep"] },
  ],
});

function recentLog(filter = () => true, n = 6) {
  return logLines.filter(filter).slice(-n);
}

// ---------------------------------------------------------------- server
// Listen first to learn the free port: the federation's origin needs it.
let federation = null;
const inboxResponses = []; // { path, status, body } of POSTs kuvend made to us

async function toFetchRequest(req, origin) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url, origin), {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

server = http.createServer(async (req, res) => {
  try {
    const origin = `http://${req.headers.host ?? "localhost"}`;
    const request = await toFetchRequest(req, origin);
    const response = federation == null
      ? new Response("starting", { status: 503 })
      : await federation.fetch(request, { contextData: undefined });
    const buf = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(buf, () => {
      if (req.method !== "POST") return;
      inboxResponses.push({
        path: new URL(req.url, origin).pathname,
        status: response.status,
        body: buf.toString("utf8").slice(0, 500),
      });
    });
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(e));
  }
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(0, "127.0.0.1", resolve);
});
const port = server.address().port;
const ourOrigin = `http://localhost:${port}`;

// ---------------------------------------------------------------- federation
const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const keyBits = keyPair.publicKey.algorithm.modulusLength;

let acceptResolve;
const acceptArrived = new Promise((r) => (acceptResolve = r));
let rejectReceived = null;

federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ourOrigin,
  allowPrivateAddress: true,
  // No caching document loader: nothing fetched (kuvend's keys) is reused.
  documentLoaderFactory: () => getDocumentLoader({ allowPrivateAddress: true }),
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "fedi") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify interop test",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === "fedi" ? [keyPair] : []
  );

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  (_ctx, _identifier, _cursor) => ({ items: [] }),
);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (ctx, accept) => {
    // Only reached after Fedify verified the request (signature + key owner).
    let object = null;
    try {
      object = await accept.getObject({ documentLoader: ctx.documentLoader });
    } catch { /* reported below as objectId */ }
    acceptResolve({
      responsesBefore: inboxResponses.length,
      actorId: accept.actorId?.href ?? null,
      objectId: (object?.id ?? accept.objectId)?.href ?? null,
      objectType: object == null ? null : object.constructor.name,
      objectActorId: object instanceof Follow ? object.actorId?.href : null,
      objectObjectId: object instanceof Follow ? object.objectId?.href : null,
    });
  })
  .on(Reject, (_ctx, reject) => {
    rejectReceived = reject.id?.href ?? "(no id)";
  })
  .onError((_ctx, error) => {
    logLines.push(`inbox listener error: ${error?.stack ?? error}`);
  });

const ctx = federation.createContext(new URL(ourOrigin), undefined);
const fediId = ctx.getActorUri("fedi").href;

// ---------------------------------------------------------------- 1. WebFinger
// Done by hand over plain http: Fedify's handle lookup always uses https.
async function webfinger() {
  const resource = `acct:${orgName}@${kuvendBase.host}`; // host:port
  const wfUrl = new URL("/.well-known/webfinger", kuvendBase);
  wfUrl.searchParams.set("resource", resource);
  let r, text, jrd;
  try {
    r = await fetch(wfUrl, { headers: { Accept: "application/jrd+json" } });
    text = await r.text();
  } catch (e) {
    throw new Failure(`WebFinger ${wfUrl}: ${e?.cause ?? e}`);
  }
  if (!r.ok) {
    throw new Failure(`WebFinger ${wfUrl} answered ${r.status}: ${text}`);
  }
  try {
    jrd = JSON.parse(text);
  } catch {
    throw new Failure(`WebFinger answer is not JSON: ${text}`);
  }
  if (jrd.subject !== resource) {
    throw new Failure(`WebFinger subject ${jrd.subject} is not ${resource}`);
  }
  const self = (jrd.links ?? []).find((l) =>
    l.rel === "self" &&
    (l.type === "application/activity+json" ||
      (l.type ?? "").startsWith("application/ld+json"))
  );
  if (self?.href == null) {
    throw new Failure(`WebFinger answer has no self link: ${text}`);
  }
  return self.href;
}

// ---------------------------------------------------------------- 2. actor
async function fetchActor(actorUrl) {
  const org = await ctx.lookupObject(actorUrl);
  if (org == null) {
    throw new Failure(`Fedify could not fetch/parse the actor ${actorUrl}`, {
      log: recentLog(),
    });
  }
  const problems = [];
  if (!(org instanceof Organization)) {
    problems.push(`type is ${org.constructor.name}, not Organization`);
  }
  if (org.id?.href !== actorUrl) {
    problems.push(`id ${org.id?.href} is not ${actorUrl}`);
  }
  if (org.preferredUsername?.toString() !== orgName) {
    problems.push(`preferredUsername ${org.preferredUsername} is not ${orgName}`);
  }
  if (org.inboxId == null) problems.push("no inbox");
  if (org.endpoints?.sharedInbox == null) {
    problems.push("no endpoints.sharedInbox");
  }
  let key = null;
  try {
    key = await org.getPublicKey({ documentLoader: ctx.documentLoader });
  } catch (e) {
    problems.push(`publicKey unreadable: ${e}`);
  }
  if (key == null) {
    problems.push("no publicKey");
  } else {
    if (key.ownerId?.href !== org.id?.href) {
      problems.push(`publicKey.owner ${key.ownerId?.href} is not ${org.id?.href}`);
    }
    if (key.publicKey?.algorithm?.name !== "RSASSA-PKCS1-v1_5") {
      problems.push(`publicKey algorithm ${key.publicKey?.algorithm?.name}`);
    }
  }
  if (problems.length > 0) {
    throw new Failure(`actor ${actorUrl}: ${problems.join("; ")}`);
  }
  return org;
}

// ---------------------------------------------------------------- 3. Follow
async function sendFollow(org) {
  const id = new URL(`/follows/${randomUUID()}`, ourOrigin);
  try {
    await ctx.sendActivity(
      { identifier: "fedi" },
      org,
      new Follow({ id, actor: new URL(fediId), object: org.id }),
    );
  } catch (e) {
    // Fedify's error carries kuvend's status and JSON body.
    throw new Failure(`kuvend refused the Follow: ${e?.message ?? e}`, {
      log: recentLog((l) => l.includes("outbox")),
    });
  }
  return id;
}

// ---------------------------------------------------------------- 4. Accept
function timeout(seconds) {
  return new Promise((r) => setTimeout(() => r(null), seconds * 1000));
}

function runCommand(cmd) {
  return new Promise((resolve, reject) => {
    execFile("sh", ["-c", cmd], { timeout: 60_000 }, (err, out, errOut) => {
      if (err) reject(new Failure(`--then-run command failed: ${err.message}`));
      else resolve(out.trim());
    });
  });
}

function checkAccept(accept, org, followId) {
  const problems = [];
  if (accept.actorId !== org.id.href) {
    problems.push(`Accept actor ${accept.actorId} is not ${org.id.href}`);
  }
  if (accept.objectId !== followId.href) {
    problems.push(`Accept object ${accept.objectId} is not ${followId.href}`);
  }
  if (accept.objectType != null && accept.objectType !== "Follow") {
    problems.push(`Accept object type ${accept.objectType}`);
  }
  if (accept.objectActorId != null && accept.objectActorId !== fediId) {
    problems.push(`embedded Follow actor ${accept.objectActorId}`);
  }
  if (accept.objectObjectId != null && accept.objectObjectId !== org.id.href) {
    problems.push(`embedded Follow object ${accept.objectObjectId}`);
  }
  if (!logLines.some((l) => l.includes("HTTP Signatures are verified"))) {
    problems.push("Fedify did not log a verified HTTP signature");
  }
  return problems;
}

async function main() {
  const actorUrl = await webfinger();
  const org = await fetchActor(actorUrl);
  const followId = await sendFollow(org);
  const out = {
    actorType: org.constructor.name,
    manuallyApprovesFollowers: org.manuallyApprovesFollowers ?? null,
    followId: followId.href,
    followerId: fediId,
    keyBits,
  };

  const firstWait = opts.waitSeconds ?? 30;
  let accept = await Promise.race([acceptArrived, timeout(firstWait)]);
  let acceptRequired = opts.waitSeconds == null;
  if (opts.thenRun != null) {
    out.acceptedBeforeCommand = accept != null;
    if (accept == null) {
      const cmd = opts.thenRun.replaceAll("{actor}", fediId);
      out.commandOutput = await runCommand(cmd);
      accept = await Promise.race([acceptArrived, timeout(30)]);
      acceptRequired = true;
    }
  }

  if (accept == null) {
    const refused = inboxResponses.filter((r) => r.status >= 300);
    const why = refused.length > 0
      ? `Fedify refused kuvend's inbox deliveries: ${safeJson(refused)}`
      : rejectReceived != null
      ? `kuvend sent a Reject (${rejectReceived})`
      : acceptRequired
      ? `no Accept within ${out.commandOutput != null ? 30 : firstWait} s`
      : null;
    if (why != null) {
      throw new Failure(why, {
        ...out,
        accepted: false,
        log: recentLog((l) =>
          l.includes("fedify.sig") || l.includes("fedify.federation.inbox")
        ),
      });
    }
    return { ok: true, ...out, accepted: false, pending: true };
  }
  // The Accept listener runs before Fedify's 202 is sent: let it reach kuvend
  // before shutting down, or kuvend records a failed delivery and retries.
  for (let i = 0; i < 100; i++) {
    if (inboxResponses.length > accept.responsesBefore) break;
    await timeout(0.05);
  }
  const answer = inboxResponses[accept.responsesBefore];
  if (answer == null || answer.status >= 300) {
    throw new Failure(
      `the Accept was handled but not answered 2xx: ${safeJson(answer)}`,
    );
  }
  const problems = checkAccept(accept, org, followId);
  out.accepted = true;
  out.httpSignatureVerified = !problems.some((p) => p.includes("HTTP sig"));
  if (problems.length > 0) throw new Failure(problems.join("; "), out);
  return { ok: true, ...out };
}

try {
  finish(await main(), 0);
} catch (e) {
  if (e instanceof Failure) fail(e.message, e.extra);
  else fail(`unexpected: ${e?.stack ?? e}`);
}
