/**
 * Figures the PostgreSQL suites measure (statements per renewal, multi-process counts, per-build cost),
 * printed with the test output so a run documents them.
 */
export const reportFigures = (title: string, figures: Record<string, unknown>): void => {
  console.info(`[pg] ${title}: ${JSON.stringify(figures)}`)
}
