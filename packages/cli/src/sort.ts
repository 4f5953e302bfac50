/** Natural order of node names (node2 before node10), as the server sorts them. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
