/** True when `error` is PostgreSQL's unique violation on `constraint` (same shape from pg and PGlite). */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  return fields?.code === '23505' && fields.constraint === constraint;
}
