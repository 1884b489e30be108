import { Link, useTitle } from '../router.js';

export function NotFound() {
  useTitle('Not found');
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{location.pathname}</code>. <Link to="/">Go to the start page</Link>.
      </p>
    </section>
  );
}
