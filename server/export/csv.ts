// CSV as RFC 4180 writes it: fields separated by commas, lines ended by CRLF, a field quoted when it holds a
// comma, a quote, CR or LF (quotes doubled inside). Small enough to keep here instead of a dependency; a
// property test parses what this writes with csv-parse and gets the rows back.

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record, CRLF-terminated. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function csvText(rows: readonly (readonly string[])[]): string {
  return rows.map(csvLine).join('');
}

// A spreadsheet runs a cell that starts like a formula (CSV injection); text a device reported about itself
// (name, model, serial) gets a leading apostrophe then, which spreadsheets show as plain text.
const FORMULA_START = /^[=+\-@\t\r]/;

export function spreadsheetSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
