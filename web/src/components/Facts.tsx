/** Key–value facts (what a rule read, what a check saw) as a compact definition list. */
export function Facts({ facts }: { facts: Record<string, unknown> | undefined | null }) {
  const entries = Object.entries(facts ?? {});
  if (entries.length === 0) return null;
  return (
    <dl className="facts">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>
            <code>{key}</code>
          </dt>
          <dd>
            <code>{JSON.stringify(value)}</code>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A JSON value, pretty-printed and scrollable. */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}
