"""Verify a QSM Webhooks delivery in Python 3 with the standard library only.

As a command:
  WEBHOOK_SECRET=whsec_... WEBHOOK_ID=... WEBHOOK_TIMESTAMP=... WEBHOOK_SIGNATURE='v1,...' \
    python3 verify.py < body.json
It exits 0 and prints "valid" when the delivery is genuine, or exits 1 and says why not.

In your own receiver, call verify_webhook() with the raw request body (bytes).
"""
import base64
import hashlib
import hmac
import os
import sys
import time

TOLERANCE_SECONDS = 300


class InvalidWebhook(Exception):
    pass


def verify_webhook(secret, headers, raw_body, now=None):
    """Raises InvalidWebhook with the reason when the delivery is not genuine.

    headers: a dict with lower-case header names; raw_body: the body exactly as received (bytes).
    """
    msg_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    signatures = headers.get("webhook-signature") or ""
    if not (msg_id and timestamp and signatures):
        raise InvalidWebhook("missing webhook-id, webhook-timestamp or webhook-signature header")

    # 1. The timestamp must be whole seconds and within 5 minutes of now, either way.
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise InvalidWebhook("webhook-timestamp is not a number of seconds")
    now = int(time.time()) if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp is more than 5 minutes from now")

    # 2. The key is the base64-decoded part of the secret after "whsec_".
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    key = base64.b64decode(secret)

    # 3. Sign "<webhook-id>.<webhook-timestamp>.<raw body>" with HMAC-SHA256, encode as base64.
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + raw_body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

    # 4. The header holds one or more "v1,<signature>" entries separated by spaces (two during a
    #    secret rotation). Accept if any of them matches, compared in constant time.
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected.encode()):
            return
    raise InvalidWebhook("no signature matches: wrong secret, or the body was changed")


if __name__ == "__main__":
    # Command-line use: secret and headers from the environment, the raw body from standard input.
    if not os.environ.get("WEBHOOK_SECRET"):
        print("Set WEBHOOK_SECRET to the endpoint secret (whsec_...)", file=sys.stderr)
        sys.exit(2)
    try:
        verify_webhook(
            os.environ["WEBHOOK_SECRET"],
            {
                "webhook-id": os.environ.get("WEBHOOK_ID", ""),
                "webhook-timestamp": os.environ.get("WEBHOOK_TIMESTAMP", ""),
                "webhook-signature": os.environ.get("WEBHOOK_SIGNATURE", ""),
            },
            sys.stdin.buffer.read(),
        )
    except InvalidWebhook as err:
        print(f"invalid: {err}", file=sys.stderr)
        sys.exit(1)
    print("valid")
