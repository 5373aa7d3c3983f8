import type { EventEmitter } from "node:events";
import type { ConfiguredService } from "../config/mod.ts";
import { errorMessage, FailedError } from "../errors.ts";
import { serviceHost } from "../service/service_context.ts";

/** A connected node-redis client (the module is imported lazily by {@link connectRedis}). */
export type RedisConnection = ReturnType<typeof import("redis").createClient>;

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** Database number to select (default 0). */
  database?: number;
  /** Connect timeout (default 5 s). */
  connectTimeoutMs?: number;
}

/**
 * Connects to the environment's redis service on loopback with its password
 * (from the resolved secret, never from a command line). Does not reconnect:
 * a task should fail, not hang, when the server goes away.
 * @throws {FailedError} when the server cannot be reached or refuses the password.
 */
export async function connectRedis(
  service: ConfiguredService,
  options: ConnectRedisOptions = {},
): Promise<RedisConnection> {
  const { createClient } = await import("redis");
  const port = service.port;
  if (port === undefined) throw new FailedError("the redis service has no port configured");
  const password = service.secrets.password;
  const client = createClient({
    socket: {
      host: serviceHost(service),
      port,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      reconnectStrategy: false,
    },
    ...(password ? { password } : {}),
    ...(options.database ? { database: options.database } : {}),
  });
  // node-redis throws unhandled 'error' events; failures surface through the awaited calls
  const events: EventEmitter = client;
  events.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.destroy();
    const message = errorMessage(error);
    const auth = /WRONGPASS|NOAUTH|invalid password/i.test(message);
    throw new FailedError(
      `cannot connect to redis at ${serviceHost(service)}:${port}: ${message}`,
      {
        hint: auth
          ? "the password in the environment does not match the server's; restart redis so it reads the current one"
          : "./ops redis:start starts it; ./ops status shows its state",
        cause: error,
      },
    );
  }
  return client as unknown as RedisConnection;
}
