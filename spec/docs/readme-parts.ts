// Reading parts of the README that specs check against the code: the API reference's routes and
// the anchors of a markdown file's headings (as GitHub makes them), for link checks.

/** `METHOD /path` of every row of the README's API tables. */
export function routesInReadme(readme: string): string[] {
  const api = readme.slice(readme.indexOf('## API reference'), readme.indexOf('## Configuration'));
  return [...api.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/[^`]*)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/** GitHub's heading slugs: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const m = inFence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (m === null) continue;
    anchors.add(m[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  }
  return anchors;
}
