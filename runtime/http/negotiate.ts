/**
 * Who gets errors as JSON: a client whose Accept header ranks application/json above
 * text/html, and, on routes that speak JSON, any client that does not rank HTML higher
 * (API clients often send no Accept at all; browsers always ask for HTML).
 */

/** The q-value the most specific matching range of `accept` gives `type` (RFC 9110 12.5.1); 0 when none matches. */
function quality(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q;
}

export function prefersJson(accept: string | undefined, jsonRoute: boolean): boolean {
  if (accept === undefined || accept.trim() === '') return jsonRoute;
  const json = quality(accept, 'application/json');
  const html = quality(accept, 'text/html');
  return json === html ? jsonRoute && json > 0 : json > html;
}
