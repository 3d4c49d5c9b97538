<?php
// Verify a QSM Webhooks delivery in plain PHP 7.4 or newer (no Composer, no extensions).
//
// As a command:
//   WEBHOOK_SECRET=whsec_... WEBHOOK_ID=... WEBHOOK_TIMESTAMP=... WEBHOOK_SIGNATURE='v1,...' \
//     php verify.php < body.json
// It exits 0 and prints "valid" when the delivery is genuine, or exits 1 and says why not.
//
// In your own receiver, call qsm_verify_webhook() with file_get_contents('php://input').

const QSM_TOLERANCE_SECONDS = 300;

/**
 * Returns null when the delivery is genuine, or the reason it is not.
 * $headers: header name (lower case) => value; $rawBody: the body exactly as received.
 */
function qsm_verify_webhook(string $secret, array $headers, string $rawBody, ?int $now = null): ?string
{
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    $signatures = $headers['webhook-signature'] ?? '';
    if ($id === '' || $timestamp === '' || $signatures === '') {
        return 'missing webhook-id, webhook-timestamp or webhook-signature header';
    }

    // 1. The timestamp must be whole seconds and within 5 minutes of now, either way.
    if (!ctype_digit($timestamp)) {
        return 'webhook-timestamp is not a number of seconds';
    }
    $now = $now ?? time();
    if (abs($now - (int) $timestamp) > QSM_TOLERANCE_SECONDS) {
        return 'timestamp is more than 5 minutes from now';
    }

    // 2. The key is the base64-decoded part of the secret after "whsec_".
    if (strpos($secret, 'whsec_') === 0) {
        $secret = substr($secret, 6);
    }
    $key = base64_decode($secret, true);
    if ($key === false || $key === '') {
        return 'the secret is not valid base64';
    }

    // 3. Sign "<webhook-id>.<webhook-timestamp>.<raw body>" with HMAC-SHA256, encode as base64.
    $expected = base64_encode(hash_hmac('sha256', $id . '.' . $timestamp . '.' . $rawBody, $key, true));

    // 4. The header holds one or more "v1,<signature>" entries separated by spaces (two during a
    //    secret rotation). Accept if any of them matches, compared in constant time.
    foreach (explode(' ', $signatures) as $entry) {
        $parts = explode(',', $entry, 2);
        if (count($parts) === 2 && $parts[0] === 'v1' && hash_equals($expected, $parts[1])) {
            return null;
        }
    }
    return 'no signature matches: wrong secret, or the body was changed';
}

// Command-line use: secret and headers from the environment, the raw body from standard input.
if (PHP_SAPI === 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    $secret = getenv('WEBHOOK_SECRET');
    if ($secret === false || $secret === '') {
        fwrite(STDERR, "Set WEBHOOK_SECRET to the endpoint secret (whsec_...)\n");
        exit(2);
    }
    $problem = qsm_verify_webhook($secret, [
        'webhook-id' => (string) getenv('WEBHOOK_ID'),
        'webhook-timestamp' => (string) getenv('WEBHOOK_TIMESTAMP'),
        'webhook-signature' => (string) getenv('WEBHOOK_SIGNATURE'),
    ], (string) file_get_contents('php://stdin'));
    if ($problem !== null) {
        fwrite(STDERR, "invalid: $problem\n");
        exit(1);
    }
    echo "valid\n";
}
