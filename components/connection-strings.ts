/** PostgreSQL connection URL with user and password percent-encoded. */
export function postgresUrl(parts: { user: string; password: string; host: string; port: number; database: string; sslMode: string }): string {
  const user = encodeURIComponent(parts.user);
  const password = encodeURIComponent(parts.password);
  return `postgres://${user}:${password}@${parts.host}:${parts.port}/${encodeURIComponent(parts.database)}?sslmode=${parts.sslMode}`;
}

/** Redis URL with a password and no user (Redis AUTH with the default user). */
export function redisUrl(parts: { password: string; host: string; port: number }): string {
  return `redis://:${encodeURIComponent(parts.password)}@${parts.host}:${parts.port}`;
}
