/** A bad input file: names the file, the row (1-based data row, header = row 0) and the field where known. */
export class IngestError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly row?: number,
    readonly field?: string,
  ) {
    super(`${file}${row !== undefined ? `, row ${row}` : ''}${field ? `, field '${field}'` : ''}: ${reason}`);
    this.name = 'IngestError';
  }
}

/** Several problems found in one pass, so a user can fix a file in one go. */
export class IngestErrors extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(readonly problems: IngestError[]) {
    const shown = problems.slice(0, 10).map((p) => `  - ${p.message}`);
    const more = problems.length > 10 ? [`  … and ${problems.length - 10} more`] : [];
    super([`${problems.length} problem(s) in the input; nothing was imported:`, ...shown, ...more].join('\n'));
    this.name = 'IngestErrors';
  }
}
