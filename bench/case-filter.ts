/**
 * The bench's `--cases` filter, apart from bench/run.ts (which runs on import) so that it can be
 * tested. Case names hold commas themselves ("pilot light, ungraceful"), so the comma-separated
 * list is read with them in mind: consecutive pieces that together spell a case's full name select
 * that case alone; any other piece selects every case whose name contains it (ignoring case).
 * Splitting on every comma instead turned "warm standby, graceful switchover,pilot light,
 * ungraceful" into "warm standby", "graceful switchover", "pilot light" and "ungraceful", which
 * select all six cases.
 */

/**
 * The names among `names` that `filter` selects, in `names`' order; all of them when `filter` is
 * empty or blank.
 *
 * @param names every case's name.
 * @param filter the `--cases` value: comma-separated full case names and/or words.
 * @throws Error when a piece selects no case, naming the piece and the cases there are (a typo
 *   would otherwise run nothing, or everything, silently).
 */
export function selectCases(names: readonly string[], filter: string): string[] {
  const pieces = filter.split(',');
  if (pieces.every((p) => p.trim() === '')) return [...names];
  const selected = new Set<string>();
  for (let i = 0; i < pieces.length; ) {
    // The longest run of pieces from i that spells a case's full name, if any.
    let exact: { name: string; next: number } | undefined;
    for (let j = pieces.length; j > i && !exact; j--) {
      const joined = pieces.slice(i, j).join(',').trim();
      const name = names.find((n) => n === joined);
      if (name !== undefined) exact = { name, next: j };
    }
    if (exact) {
      selected.add(exact.name);
      i = exact.next;
      continue;
    }
    const word = (pieces[i] ?? '').trim();
    i += 1;
    if (word === '') continue;
    const matching = names.filter((n) => n.toLowerCase().includes(word.toLowerCase()));
    if (matching.length === 0)
      throw new Error(
        `--cases: "${word}" matches no case; expected full case names or words of them, comma-separated: ${names.map((n) => `"${n}"`).join('; ')}`,
      );
    for (const n of matching) selected.add(n);
  }
  return names.filter((n) => selected.has(n));
}
