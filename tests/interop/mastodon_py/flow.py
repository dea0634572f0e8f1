#!/usr/bin/env python3
"""Drive kuvend's Mastodon client API with the real Mastodon.py 2.3.3.

Registers an app, logs in with the password grant, posts, follows a remote
organisation, sees its post and its follow-back, favourites and deletes.
Progress goes to stderr; stdout carries `READY_FOR_REMOTE_POST` once the
follow is accepted (the harness then makes the remote org post and follow
back) and, last, one JSON line: {"ok": true, "steps": [...], ...} or
{"ok": false, "step": "...", "error": "..."}. Exit status 0 / 1.
"""
import argparse
import json
import socket
import sys
import time
import warnings

import requests
from mastodon import Mastodon, MastodonNotFoundError

SCOPES = ["read", "write", "follow"]
TEXT = "Hello from Mastodon.py #NAD"
ALT_TEXT = "Volunteers planting trees by the river"


class Failed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failed(message)


def poll(fetch, timeout, interval=0.5):
    """Calls fetch() until it returns something truthy or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(interval)


def install_resolve(entries):
    """--resolve NAME:IP, like curl's: NAME connects to IP, Host header unchanged."""
    table = {}
    for entry in entries:
        name, sep, ip = entry.partition(":")
        if not sep or not name or not ip:
            sys.exit(f"--resolve wants NAME:IP, got {entry!r}")
        table[name.lower()] = ip
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        key = host.decode() if isinstance(host, bytes) else host
        return real_getaddrinfo(table.get((key or "").lower(), host), port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(args, steps, info):
    def step(name):
        steps.append(name)
        log(f"step: {name}")

    handle = args.remote_handle.lstrip("@")
    # No proxies from the environment and no .netrc: test hosts are on loopback.
    session = requests.Session()
    session.trust_env = False
    common = dict(api_base_url=args.base, request_timeout=30, session=session)

    step("create_app")
    client_id, client_secret = Mastodon.create_app("kuvend-interop", scopes=SCOPES, **common)
    check(client_id and client_secret, "POST /api/v1/apps returned no client_id/client_secret")

    step("log_in")
    api = Mastodon(client_id, client_secret, ratelimit_method="throw", **common)
    # allow_http: 2.3.3 refuses a non-https token_endpoint from
    # /.well-known/oauth-authorization-server unless told otherwise.
    token = api.log_in(args.email, args.password, scopes=SCOPES, allow_http=True)
    check(token, "password grant returned no access_token")

    step("instance_version")
    info["detected_version"] = f"{api.mastodon_major}.{api.mastodon_minor}.{api.mastodon_patch}"
    info["api_version"] = api.mastodon_api_version
    check(api.verify_minimum_version("4.0.0", cached=True),
          f"Mastodon.py read version {info['detected_version']} from /api/v1/instance/ (want >= 4.0.0)")

    step("verify_credentials")
    me = api.account_verify_credentials()
    info["username"] = me.get("username")
    log(f"logged in as {info['username']!r}")
    check(info["username"], f"verify_credentials has no username: {me!r}")
    if args.expect_username:
        check(info["username"] == args.expect_username,
              f"username is {info['username']!r}, expected {args.expect_username!r}")

    step("status_post")
    own = api.status_post(TEXT, visibility="public")
    check(own.get("id"), f"status_post returned no id: {own!r}")
    check(own.get("visibility") == "public", f"visibility is {own.get('visibility')!r}, not 'public'")
    check("Hello from Mastodon.py" in (own.get("content") or ""), f"content lost the text: {own.get('content')!r}")
    info["status_id"] = own_id = str(own["id"])

    if args.media_fixture:
        # Issue 16: upload with alt text, post with media_ids, and the URL serves an image.
        step("media_post")
        media = api.media_post(args.media_fixture, "image/jpeg", description=ALT_TEXT)
        check(media.get("url"), f"media_post returned no url: {media!r}")
        step("status_post_media")
        pictured = api.status_post("A photo from the forum", media_ids=[media])
        attached = pictured.get("media_attachments") or []
        check(len(attached) == 1 and str(attached[0]["id"]) == str(media["id"]),
              f"status_post(media_ids=...) attached {attached!r}")
        check(attached[0].get("description") == ALT_TEXT, f"alt text is {attached[0].get('description')!r}")
        info["media_status_id"] = str(pictured["id"])
        info["media_description"] = attached[0].get("description")
        step("media_url_serves_image")
        served = session.get(attached[0]["url"], timeout=30)
        kind = served.headers.get("content-type", "")
        check(served.status_code == 200 and kind.startswith("image/"),
              f"GET {attached[0]['url']} answered {served.status_code} {kind!r}")
        info["media_content_type"] = kind

    step("home_has_own_status")
    home = api.timeline_home()
    check(any(str(s["id"]) == own_id for s in home), f"status {own_id} not in timeline_home ({len(home)} statuses)")

    if args.event_id:
        step("event_as_status")
        event = api.status(args.event_id)
        content = event.get("content") or ""
        check(args.event_text in content, f"event status content lacks {args.event_text!r}: {content!r}")
        check(any(str(s["id"]) == args.event_id for s in api.timeline_home()),
              f"event {args.event_id} not in timeline_home")

    step("search_remote")
    found = api.search_v2(handle, resolve=True, result_type="accounts")
    accounts = [a for a in found.get("accounts") or [] if a.get("acct") == handle]
    check(len(accounts) == 1, f"search for {handle!r} gave accts {[a.get('acct') for a in found.get('accounts') or []]}")
    info["remote_account_id"] = remote_id = accounts[0]["id"]

    step("account_follow")
    api.account_follow(remote_id)

    step("relationship_following")
    following = lambda: any(r.get("following") for r in api.account_relationships(remote_id))
    check(poll(following, 20), f"not following {handle} after 20 s (relationships: {api.account_relationships(remote_id)!r})")

    print("READY_FOR_REMOTE_POST", flush=True)

    step("remote_status_in_home")
    remote_status = lambda: next((s for s in api.timeline_home()
                                  if s["account"]["acct"] == handle and not s.get("reblog")), None)
    status = poll(remote_status, 30)
    check(status, f"no status by {handle} in timeline_home after 30 s")
    info["remote_status_id"] = remote_status_id = status["id"]

    step("follow_notification")
    followed = lambda: any(n["type"] == "follow" and n["account"]["acct"] == handle
                           for n in api.notifications())
    check(poll(followed, 20), f"no 'follow' notification from {handle} after 20 s")

    step("status_favourite")
    faved = api.status_favourite(remote_status_id)
    check(faved.get("favourited") is True, f"favourite returned favourited={faved.get('favourited')!r}")

    step("status_unfavourite")
    unfaved = api.status_unfavourite(remote_status_id)
    check(unfaved.get("favourited") is False, f"unfavourite returned favourited={unfaved.get('favourited')!r}")

    step("status_delete")
    deleted = api.status_delete(own_id)
    check(str(deleted.get("id")) == own_id, f"status_delete returned {deleted!r}")
    try:
        api.status(own_id)
        raise Failed(f"GET /api/v1/statuses/{own_id} still answers after delete")
    except MastodonNotFoundError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="http://alpha.test:PORT")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--remote-handle", required=True, help="user@host:port of the remote org")
    parser.add_argument("--expect-username", help="fail unless verify_credentials has this username")
    parser.add_argument("--event-id", help="a status id that is an event")
    parser.add_argument("--event-text", help="text the event's content must hold")
    parser.add_argument("--media-fixture", help="a JPEG to upload with alt text and post")
    parser.add_argument("--resolve", action="append", default=[], metavar="NAME:IP")
    args = parser.parse_args()
    install_resolve(args.resolve)

    steps, info = [], {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run(args, steps, info)
            result = {"ok": True, "steps": steps, **info}
        except Exception as e:  # report any failure, Mastodon.py's included, as the step's
            error = str(e) if isinstance(e, Failed) else f"{type(e).__name__}: {e}"
            result = {"ok": False, "step": steps[-1] if steps else "start", "error": error, "steps": steps}
    # Mastodon.py warns e.g. when /api/v2/instance/ lacks api_versions: worth seeing.
    result["warnings"] = [str(w.message) for w in caught]
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
