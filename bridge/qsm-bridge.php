<?php
/**
 * QSM Webhooks bridge: emits events from the QSM mail app to the QSM Webhooks server, and mints
 * dashboard sign-in links. One file, no Composer; tested on PHP 8.2 and free of calls deprecated up
 * to PHP 8.5. Copy it next to the mail app and require it; see bridge/README.md.
 *
 *   qsm_emit($userId, 'email.failed', $data)   -> true when the server took it (2xx)
 *   qsm_dashboard_url($userId)                 -> dashboard link carrying a 1-hour token
 *   php qsm-bridge.php flush                   -> resend spooled events (run from cron)
 *
 * The mail app must never wait on webhooks: every request has a ~2 s budget, and an event that
 * cannot be handed over (server down, 5xx, 429, bad secret/clock) is appended to a spool file and
 * resent later with the same event id, so the server's idempotency makes resends harmless.
 *
 * Settings: constants, else environment variables of the same name.
 *   QSM_WEBHOOKS_URL   server base URL, e.g. https://hooks.example.com
 *   QSM_BRIDGE_SECRET  the server's QSM_BRIDGE_SECRET, exactly as written in its .env
 *   QSM_SPOOL_DIR      a folder only this account can write, outside the web root
 *                      (default: qsm-webhooks-spool beside this file; never a shared temp dir)
 *   QSM_DASHBOARD_URL  dashboard address (default: {QSM_WEBHOOKS_URL}/dashboard/)
 */

if (!defined('QSM_BRIDGE_VERSION')) {
    define('QSM_BRIDGE_VERSION', '1.0.0');
}

// Request budget in seconds (connect and total). Short on purpose: a slow server is spooled.
const QSM_BRIDGE_TIMEOUT = 2;
// The server refuses bodies over 64 KB and batches over 100 events; stay under both.
const QSM_BRIDGE_MAX_BATCH = 100;
const QSM_BRIDGE_MAX_BATCH_BYTES = 60000;
// While the server is down, qsm_emit retries the spool at most this often and this much.
const QSM_BRIDGE_FLUSH_INTERVAL = 30;
const QSM_BRIDGE_INLINE_FLUSH_MAX = 50;
// A claimed spool file untouched this long belongs to a flush that died; another flush adopts it.
const QSM_BRIDGE_STALE_CLAIM = 600;

/** Emits one event. Never throws; returns true when the server accepted it (2xx). */
function qsm_emit($userId, $type, $data, $actor = null)
{
    try {
        $event = qsm__envelope((string) $userId, (string) $type, $data, $actor);
        $line = qsm__event_line($event);
        if ($line === null) {
            return false; // kept in rejected.jsonl by qsm__event_line
        }
        if (qsm__spool_due()) {
            try {
                $flushed = qsm__flush(QSM_BRIDGE_INLINE_FLUSH_MAX);
            } catch (\Throwable $e) {
                // A spool that cannot be read now must not stop this event from being sent.
                error_log('qsm-bridge: could not resend the spool: ' . $e->getMessage());
                $flushed = ['down' => false];
            }
            if ($flushed['down']) {
                // The server just failed us; do not spend a second timeout on this event.
                qsm__spool_or_log($event, $line, 'the server is down');
                return false;
            }
        }
        $result = qsm__send_events([$line], false);
        if ($result['ok']) {
            return true;
        }
        if ($result['retry']) {
            qsm__spool_or_log($event, $line, (string) $result['error']);
        } else {
            qsm__reject([$line], $result['error']);
        }
        return false;
    } catch (\Throwable $e) {
        error_log('qsm-bridge: could not emit ' . $type . ': ' . $e->getMessage());
        return false;
    }
}

/** The dashboard address with a sign-in token for $userId in the fragment (never sent to servers). */
function qsm_dashboard_url($userId, $lifetimeSeconds = 3600)
{
    $default = rtrim((string) qsm__setting('QSM_WEBHOOKS_URL', ''), '/') . '/dashboard/';
    $base = (string) qsm__setting('QSM_DASHBOARD_URL', $default);
    return $base . '#token=' . qsm_dashboard_token($userId, $lifetimeSeconds);
}

/** HS256 JWT {sub, iat, exp}, keyed like server/auth/token.ts: hex(HMAC-SHA256(secret, "qsm-dashboard-token")). */
function qsm_dashboard_token($userId, $lifetimeSeconds = 3600)
{
    $key = hash_hmac('sha256', 'qsm-dashboard-token', qsm__secret());
    $iat = time();
    $header = qsm__b64url(qsm__json(['alg' => 'HS256', 'typ' => 'JWT']));
    $payload = qsm__b64url(qsm__json(['sub' => (string) $userId, 'iat' => $iat, 'exp' => $iat + min(3600, (int) $lifetimeSeconds)]));
    $signature = qsm__b64url(hash_hmac('sha256', "$header.$payload", $key, true));
    return "$header.$payload.$signature";
}

/** An event id: "evt_" + 10 chars of millisecond time + 16 random chars (Crockford base32), time-ordered. */
function qsm_event_id()
{
    $alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    $ms = (int) floor(microtime(true) * 1000);
    $time = '';
    for ($i = 0; $i < 10; $i++) {
        $time = $alphabet[$ms % 32] . $time;
        $ms = intdiv($ms, 32);
    }
    $random = '';
    foreach (str_split(random_bytes(16)) as $byte) {
        $random .= $alphabet[ord($byte) % 32];
    }
    return 'evt_' . $time . $random;
}

/**
 * Resends spooled events. $limit bounds the work (null = everything). Returns counts:
 * sent, duplicates, rejected, remaining, and down = true when the server could not be reached.
 */
function qsm_flush($limit = null)
{
    return qsm__flush($limit);
}

// ---------------------------------------------------------------------------------------------
// Internals (qsm__ prefix). Not part of the interface.

function qsm__setting($name, $default = null)
{
    if (defined($name)) {
        return constant($name);
    }
    $value = getenv($name);
    return ($value === false || $value === '') ? $default : $value;
}

function qsm__secret()
{
    $secret = (string) qsm__setting('QSM_BRIDGE_SECRET', '');
    if ($secret === '') {
        throw new \RuntimeException('QSM_BRIDGE_SECRET is not set');
    }
    return $secret;
}

function qsm__envelope($userId, $type, $data, $actor)
{
    $now = microtime(true);
    $seconds = (int) floor($now);
    return [
        'id' => qsm_event_id(),
        'type' => $type,
        'schema_version' => 1,
        'occurred_at' => gmdate('Y-m-d\TH:i:s', $seconds) . sprintf('.%03dZ', (int) floor(($now - $seconds) * 1000)),
        'user_id' => $userId,
        'actor' => $actor ?: ['type' => 'system', 'id' => 'mail-app'],
        // An empty PHP array would encode as [] but data is an object.
        'data' => (is_array($data) && count($data) === 0) ? new \stdClass() : $data,
    ];
}

function qsm__json($value)
{
    $json = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    if ($json === false) {
        throw new \RuntimeException('could not encode JSON: ' . json_last_error_msg());
    }
    return $json;
}

/**
 * One event as a JSON line. Bytes that are not UTF-8 (remote mail servers' reply text often has
 * them) are replaced with U+FFFD and the event is flagged invalid_utf8_replaced, never dropped.
 * Anything else json_encode cannot write (INF, NAN, recursion) goes to rejected.jsonl; null then.
 */
function qsm__event_line(array $event)
{
    $flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION;
    $line = json_encode($event, $flags);
    if ($line === false && json_last_error() === JSON_ERROR_UTF8) {
        $event['invalid_utf8_replaced'] = true;
        $line = json_encode($event, $flags | JSON_INVALID_UTF8_SUBSTITUTE);
        error_log('qsm-bridge: event ' . $event['id'] . ' (' . $event['type'] . ') had data that is not UTF-8; the bytes were replaced with U+FFFD and the event is flagged invalid_utf8_replaced');
    }
    if ($line !== false) {
        return $line;
    }
    $error = 'could not encode JSON: ' . json_last_error_msg();
    $partial = json_encode($event, $flags | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
    qsm__reject([$partial === false ? json_encode(['id' => $event['id'], 'type' => $event['type']]) : $partial], $error);
    return null;
}

function qsm__b64url($bytes)
{
    return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
}

/**
 * POSTs events (JSON lines) to /v1/events, one envelope or {"events":[...]}, freshly signed.
 * Returns ok, retry (worth spooling), status, error, duplicates.
 */
function qsm__send_events(array $lines, $asBatch)
{
    $body = $asBatch ? '{"events":[' . implode(',', $lines) . ']}' : $lines[0];
    $id = $asBatch ? 'req_' . substr(qsm_event_id(), 4) : json_decode($lines[0], true)['id'];
    $timestamp = (string) time();
    $signature = 'v1,' . base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", qsm__secret(), true));
    $url = rtrim((string) qsm__setting('QSM_WEBHOOKS_URL', ''), '/') . '/v1/events';
    $headers = [
        'Content-Type: application/json',
        'User-Agent: qsm-bridge/' . QSM_BRIDGE_VERSION,
        'webhook-id: ' . $id,
        'webhook-timestamp: ' . $timestamp,
        'webhook-signature: ' . $signature,
    ];
    list($status, $response, $error) = qsm__http_post($url, $headers, $body);
    $duplicates = 0;
    if ($status >= 200 && $status < 300) {
        $decoded = json_decode((string) $response, true);
        foreach ((is_array($decoded) && isset($decoded['data']) && is_array($decoded['data'])) ? $decoded['data'] : [] as $item) {
            $duplicates += !empty($item['duplicate']) ? 1 : 0;
        }
        return ['ok' => true, 'retry' => false, 'status' => $status, 'error' => null, 'duplicates' => $duplicates];
    }
    if ($status !== 0) {
        $decoded = json_decode((string) $response, true);
        $error = "HTTP $status" . (isset($decoded['error']['message']) ? ': ' . $decoded['error']['message'] : '');
    }
    // Spool what may succeed later: no connection, server errors, rate limits, and 401 (a secret
    // or clock being fixed). Validation refusals would fail the same way forever.
    $retry = $status === 0 || $status >= 500 || in_array($status, [401, 408, 425, 429], true);
    if ($status === 401) {
        error_log('qsm-bridge: the server refused the bridge signature; check QSM_BRIDGE_SECRET and the clock. Events are spooled.');
    }
    return ['ok' => false, 'retry' => $retry, 'status' => $status, 'error' => $error, 'duplicates' => 0];
}

/** Returns [status (0 when no HTTP answer), body, error]. curl when loaded, PHP streams otherwise. */
function qsm__http_post($url, array $headers, $body)
{
    $useCurl = function_exists('curl_init') && qsm__setting('QSM_BRIDGE_TRANSPORT', 'auto') !== 'streams';
    if ($useCurl) {
        $ch = curl_init($url);
        curl_setopt_array($ch, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => QSM_BRIDGE_TIMEOUT,
            CURLOPT_TIMEOUT => QSM_BRIDGE_TIMEOUT,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_NOSIGNAL => true,
        ]);
        $response = curl_exec($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $error = $response === false ? 'network error: ' . curl_error($ch) : null;
        // No curl_close(): a no-op since PHP 8.0 and deprecated in 8.5; the handle goes with $ch.
        unset($ch);
        return [$response === false ? 0 : $status, $response === false ? '' : $response, $error];
    }
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => implode("\r\n", $headers),
        'content' => $body,
        'timeout' => QSM_BRIDGE_TIMEOUT,
        'ignore_errors' => true,
        'follow_location' => 0,
    ]]);
    // fopen + wrapper_data rather than $http_response_header, which PHP 8.5 deprecates.
    $stream = @fopen($url, 'r', false, $context);
    $status = 0;
    $response = '';
    if ($stream !== false) {
        $meta = stream_get_meta_data($stream);
        $response = (string) stream_get_contents($stream);
        fclose($stream);
        foreach (isset($meta['wrapper_data']) && is_array($meta['wrapper_data']) ? $meta['wrapper_data'] : [] as $header) {
            // The last status line wins (there is only one: redirects are not followed).
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', (string) $header, $m)) {
                $status = (int) $m[1];
            }
        }
    }
    if ($status === 0) {
        $last = error_get_last();
        return [0, '', 'network error: ' . ($last ? $last['message'] : 'no answer')];
    }
    return [$status, (string) $response, null];
}

// ---------------------------------------------------------------------------------------------
// The spool: spool.jsonl, one event per line, guarded by an flock on spool.lock. A flush renames
// the file aside under the lock (so appends never wait on the network), sends it, and appends
// back whatever did not go. Events keep their ids, so a resend can never duplicate.
//
// The spool is trusted input: whatever is in it is signed and sent as this account's events. So
// the folder must belong to the user PHP runs as and be writable by nobody else, and no file in it
// may be a symlink. Otherwise another account on the host could plant events for any user, or
// point spool.jsonl at a file it cannot read and have it copied. Files are created 0600.

/** The checked spool folder. Throws a RuntimeException that says why when it is not safe. */
function qsm__spool_dir()
{
    static $checked = [];
    $dir = rtrim((string) qsm__setting('QSM_SPOOL_DIR', __DIR__ . '/qsm-webhooks-spool'), '/');
    if (isset($checked[$dir])) {
        return $dir;
    }
    if (!file_exists($dir) && !is_link($dir)) {
        $old = umask(0077);
        $made = @mkdir($dir, 0700, true);
        umask($old);
        if ($made) {
            // Should the folder sit inside a web root after all, Apache refuses to serve it.
            qsm__write_new($dir . '/.htaccess', "Require all denied\n");
        }
    }
    clearstatcache();
    $stat = @lstat($dir);
    $problem = null;
    if ($stat === false) {
        $message = "the spool folder $dir (QSM_SPOOL_DIR) does not exist and " . qsm__user_name(qsm__euid()) . ' could not create it';
        error_log('qsm-bridge: ' . $message);
        throw new \RuntimeException($message);
    } elseif (is_link($dir)) {
        $problem = 'it is a symlink';
    } elseif (!is_dir($dir)) {
        $problem = 'it is not a folder';
    } elseif ($stat['uid'] !== qsm__euid()) {
        $problem = 'it belongs to ' . qsm__user_name($stat['uid']) . ', not to ' . qsm__user_name(qsm__euid()) . ', the user PHP runs as';
    } elseif (($stat['mode'] & 0022) !== 0) {
        $problem = sprintf('group or other users can write it (mode %04o)', $stat['mode'] & 07777);
    }
    if ($problem !== null) {
        $message = "the spool folder $dir (QSM_SPOOL_DIR) is refused: $problem. Another account could plant events"
            . ' or swap files there. Use a folder that only ' . qsm__user_name(qsm__euid()) . ' can write, e.g. mkdir -m 700';
        error_log('qsm-bridge: ' . $message);
        throw new \RuntimeException($message);
    }
    $checked[$dir] = true;
    return $dir;
}

/** The effective user id, without the posix extension when it is missing. */
function qsm__euid()
{
    static $euid = null;
    if ($euid === null) {
        if (function_exists('posix_geteuid')) {
            $euid = posix_geteuid();
        } else {
            $probe = tempnam(sys_get_temp_dir(), 'qsm');
            $euid = (int) fileowner($probe);
            unlink($probe);
        }
    }
    return $euid;
}

function qsm__user_name($uid)
{
    $info = function_exists('posix_getpwuid') ? @posix_getpwuid($uid) : false;
    return is_array($info) ? "user {$info['name']} (uid $uid)" : "uid $uid";
}

/** A path in the spool folder; refuses a symlink or a file of another user (O_NOFOLLOW's job). */
function qsm__spool_path($name)
{
    $path = qsm__spool_dir() . '/' . $name;
    clearstatcache(true, $path);
    if (is_link($path)) {
        throw new \RuntimeException("refusing $path: it is a symlink, and the spool never follows one");
    }
    $stat = @lstat($path);
    if ($stat !== false && $stat['uid'] !== qsm__euid()) {
        throw new \RuntimeException("refusing $path: it belongs to " . qsm__user_name($stat['uid']));
    }
    return $path;
}

/** fopen on a checked spool path; a file it creates is 0600. */
function qsm__open($name, $mode)
{
    $path = qsm__spool_path($name);
    $old = umask(0077);
    $handle = @fopen($path, $mode);
    umask($old);
    if ($handle === false) {
        throw new \RuntimeException("cannot open $path");
    }
    return $handle;
}

/** Creates $path with $content, 0600, only when nothing (not even a symlink) is there. */
function qsm__write_new($path, $content)
{
    $old = umask(0077);
    $handle = @fopen($path, 'x');
    umask($old);
    if ($handle !== false) {
        fwrite($handle, $content);
        fclose($handle);
    }
}

/** Runs $fn while holding the spool lock; the lock is released even when $fn throws. */
function qsm__with_lock(callable $fn)
{
    $handle = qsm__open('spool.lock', 'c');
    try {
        flock($handle, LOCK_EX);
        return $fn();
    } finally {
        flock($handle, LOCK_UN);
        fclose($handle);
    }
}

function qsm__spool_append(array $lines)
{
    if (count($lines) === 0) {
        return;
    }
    qsm__with_lock(function () use ($lines) {
        $out = qsm__open('spool.jsonl', 'a');
        $ok = fwrite($out, implode("\n", $lines) . "\n");
        fclose($out);
        if ($ok === false) {
            throw new \RuntimeException('could not write the spool in QSM_SPOOL_DIR; ' . count($lines) . ' event(s) lost');
        }
    });
}

/** Spools an event that could not be sent; when the spool is refused, error_log names the event. */
function qsm__spool_or_log(array $event, $line, $why)
{
    try {
        qsm__spool_append([$line]);
    } catch (\Throwable $e) {
        error_log('qsm-bridge: event ' . $event['id'] . ' (' . $event['type'] . ') could not be sent (' . $why . ') and was not spooled: ' . $e->getMessage());
    }
}

/** Events the server refused as invalid: kept for a person to read, never resent. */
function qsm__reject(array $lines, $error)
{
    error_log('qsm-bridge: the server refused ' . count($lines) . ' event(s): ' . $error);
    try {
        $out = qsm__open('rejected.jsonl', 'a');
        flock($out, LOCK_EX);
        fwrite($out, implode("\n", $lines) . "\n");
        flock($out, LOCK_UN);
        fclose($out);
    } catch (\Throwable $e) {
        error_log('qsm-bridge: could not keep the refused event(s) in rejected.jsonl: ' . $e->getMessage());
    }
}

/** True when there is a spool and the last inline flush attempt is older than the interval. */
function qsm__spool_due()
{
    try {
        $spool = qsm__spool_path('spool.jsonl');
        $marker = qsm__spool_path('last-flush');
    } catch (\Throwable $e) {
        return false; // already logged; the event is sent directly
    }
    if (!is_file($spool) || filesize($spool) === 0) {
        return false;
    }
    if (is_file($marker) && time() - filemtime($marker) < QSM_BRIDGE_FLUSH_INTERVAL) {
        return false;
    }
    fclose(qsm__open('last-flush', 'c'));
    touch($marker);
    return true;
}

/** Moves the spool (and claims abandoned by dead flushes) aside; returns the claimed names. */
function qsm__claim()
{
    return qsm__with_lock(function () {
        $dir = qsm__spool_dir();
        $claims = [];
        foreach (glob($dir . '/claimed-*.jsonl') ?: [] as $old) {
            if (!is_link($old) && @filemtime($old) < time() - QSM_BRIDGE_STALE_CLAIM) {
                $mine = 'claimed-' . bin2hex(random_bytes(8)) . '.jsonl';
                if (@rename($old, $dir . '/' . $mine)) {
                    $claims[] = $mine;
                }
            }
        }
        if (is_file(qsm__spool_path('spool.jsonl'))) {
            $mine = 'claimed-' . bin2hex(random_bytes(8)) . '.jsonl';
            if (@rename($dir . '/spool.jsonl', $dir . '/' . $mine)) {
                $claims[] = $mine;
            }
        }
        return $claims;
    });
}

function qsm__flush($limit)
{
    $counts = ['sent' => 0, 'duplicates' => 0, 'rejected' => 0, 'remaining' => 0, 'down' => false];
    $budget = $limit === null ? PHP_INT_MAX : (int) $limit;
    foreach (qsm__claim() as $name) {
        $path = qsm__spool_path($name);
        $in = qsm__open($name, 'r');
        $keep = [];
        $batch = [];
        $batchBytes = 0;
        // Sends the gathered batch, or keeps it once the server is known to be down.
        $send = function () use (&$batch, &$batchBytes, &$counts, &$keep, $path) {
            if (count($batch) === 0) {
                return;
            }
            if ($counts['down']) {
                array_push($keep, ...$batch);
            } else {
                qsm__flush_batch($batch, $counts, $keep);
            }
            $batch = [];
            $batchBytes = 0;
            @touch($path); // still alive: no other flush may adopt this claim
        };
        while (!$counts['down'] && $budget > 0 && ($line = fgets($in)) !== false) {
            $line = trim($line);
            if ($line === '') {
                continue;
            }
            $budget--;
            if ($batchBytes + strlen($line) + 1 > QSM_BRIDGE_MAX_BATCH_BYTES) {
                $send();
            }
            $batch[] = $line;
            $batchBytes += strlen($line) + 1;
            if (count($batch) >= QSM_BRIDGE_MAX_BATCH) {
                $send();
            }
        }
        $send();
        // Not sent (server down, or over the limit): back into the spool, lines not yet read included.
        qsm__with_lock(function () use ($in, $keep, &$counts) {
            $out = qsm__open('spool.jsonl', 'a');
            foreach ($keep as $line) {
                fwrite($out, $line . "\n");
                $counts['remaining']++;
            }
            while (($line = fgets($in)) !== false) {
                if (trim($line) !== '') {
                    fwrite($out, rtrim($line, "\r\n") . "\n");
                    $counts['remaining']++;
                }
            }
            fclose($out);
        });
        fclose($in);
        unlink($path);
    }
    return $counts;
}

/** Sends one batch; on a validation refusal retries one by one so a single bad event cannot block the rest. */
function qsm__flush_batch(array $batch, array &$counts, array &$keep)
{
    $result = qsm__send_events($batch, true);
    if ($result['ok']) {
        $counts['sent'] += count($batch) - $result['duplicates'];
        $counts['duplicates'] += $result['duplicates'];
        return;
    }
    if ($result['retry']) {
        $counts['down'] = true;
        array_push($keep, ...$batch);
        return;
    }
    foreach ($batch as $line) {
        $single = $counts['down'] ? ['ok' => false, 'retry' => true] : qsm__send_events([$line], false);
        if ($single['ok']) {
            $counts[$single['duplicates'] > 0 ? 'duplicates' : 'sent']++;
        } elseif ($single['retry']) {
            $counts['down'] = true;
            $keep[] = $line;
        } else {
            qsm__reject([$line], $single['error']);
            $counts['rejected']++;
        }
    }
}

// `php qsm-bridge.php flush` (cron). Only when run directly, never when the mail app requires it.
if (PHP_SAPI === 'cli' && isset($argv[0]) && realpath($argv[0]) === __FILE__) {
    $command = isset($argv[1]) ? $argv[1] : '';
    if ($command !== 'flush') {
        fwrite(STDERR, "usage: php qsm-bridge.php flush\n");
        exit(2);
    }
    try {
        $c = qsm__flush(null);
    } catch (\Throwable $e) {
        fwrite(STDERR, 'qsm-bridge flush failed: ' . $e->getMessage() . "\n");
        exit(1);
    }
    echo "sent {$c['sent']}, duplicates {$c['duplicates']}, rejected {$c['rejected']}, remaining {$c['remaining']}\n";
    exit($c['remaining'] > 0 ? 1 : 0);
}
