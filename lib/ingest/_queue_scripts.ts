/**
 * Lua scripts of the job queue. Each runs atomically in Redis, so a message
 * is acknowledged and counted in its job's progress in one step: a message
 * that is delivered again after a crash is never counted twice.
 * @module
 */

/**
 * Acknowledges a processed message and adds its outcome to its job; with a
 * dead-letter reason also appends it to the dead-letter stream.
 * KEYS: stream, job hash, job failures list, dead stream.
 * ARGV: group, message id, ttl seconds, documents, skipped, failed, unindexed,
 * file failed (0/1), max failures kept, dead reason ('' for none), job, path,
 * token, attempt, now ms, then failure entries (JSON).
 * Returns 1 when the message was acknowledged now, 0 when it already was.
 */
export const acknowledgeScript = `
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], 'files_done', 1)
local fields = {'documents', 'skipped', 'failed', 'unindexed'}
for i, name in ipairs(fields) do
  local n = tonumber(ARGV[3 + i])
  if n ~= 0 then redis.call('HINCRBY', KEYS[2], name, n) end
end
if ARGV[8] == '1' then redis.call('HINCRBY', KEYS[2], 'files_failed', 1) end
if ARGV[10] ~= '' then
  redis.call('XADD', KEYS[4], '*', 'job', ARGV[11], 'path', ARGV[12], 'token', ARGV[13],
    'attempts', ARGV[14], 'reason', ARGV[10], 'at', ARGV[15])
end
for i = 16, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
if #ARGV >= 16 then
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[9]) - 1)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
end
redis.call('HSET', KEYS[2], 'updated_at', ARGV[15])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
`;

/**
 * Takes a message out of the stream and schedules it again after a delay.
 * KEYS: stream, retry set. ARGV: group, message id, due ms, payload (JSON).
 */
export const scheduleRetryScript = `
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[4])
return 1
`;

/**
 * Moves retries whose time has come back into the stream.
 * KEYS: retry set, stream. ARGV: now ms, limit. Returns how many moved.
 */
export const promoteRetriesScript = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, payload in ipairs(due) do
  local m = cjson.decode(payload)
  redis.call('XADD', KEYS[2], '*', 'job', m.job, 'path', m.path, 'token', m.token,
    'attempt', tostring(m.attempt), 'enqueued', tostring(m.enqueued))
  redis.call('ZREM', KEYS[1], payload)
end
return #due
`;

/**
 * Moves dead letters back into the stream as a new job (a path dead twice is queued once).
 * KEYS: dead stream, stream, new job hash. ARGV: job id, limit, now ms, ttl seconds.
 * Returns how many files were moved.
 */
export const requeueDeadScript = `
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[2]))
local n = 0
local seen = {}
for _, e in ipairs(entries) do
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  if f.path and not seen[f.path] then
    seen[f.path] = true
    n = n + 1
    redis.call('XADD', KEYS[2], '*', 'job', ARGV[1], 'path', f.path,
      'token', ARGV[1] .. ':' .. n, 'attempt', '0', 'enqueued', ARGV[3])
  end
  redis.call('XDEL', KEYS[1], e[1])
end
if n > 0 then
  redis.call('HSET', KEYS[3], 'id', ARGV[1], 'label', 'dead letters', 'created_at', ARGV[3],
    'updated_at', ARGV[3], 'files_total', n, 'files_done', 0)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
end
return n
`;
