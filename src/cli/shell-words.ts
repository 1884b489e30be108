// Words of the POSIX shell command lines `arbiter hook install` writes into an agent's settings (the
// agents run them with sh) and prints for the user to paste: quoted where a path has spaces.

/** `word` as one shell word: as it is when it needs no quoting, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * `value` as one argument on the user's command line, in double quotes when that keeps it as it is
 * (easier to read when it holds single-quoted words), else single-quoted.
 */
export function shellArgument(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return /["$`\\!]/.test(value) ? shellWord(value) : `"${value}"`;
}

/** The first word of a shell command line as the shell reads it: quotes removed, escapes applied. */
export function firstShellWord(command: string): string {
  let word = '';
  let i = command.search(/\S|$/);
  for (; i < command.length && !/\s/.test(command[i]!); i++) {
    const c = command[i]!;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return word + command.slice(i + 1);
      word += command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      for (i++; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === '\\' && /["$`\\]/.test(command[i + 1] ?? '')) i++;
        word += command[i];
      }
    } else if (c === '\\' && i + 1 < command.length) word += command[++i];
    else word += c;
  }
  return word;
}
