/**
 * Turning app specs (the configured list and module-provided items) into the catalogue:
 * ids, logo URLs, the show/hide filters and first-id-wins, as Prosody's mod_register_apps.
 */
import type { AppSpec, SiteApp } from './types.js';

/** Prosody: `app.id or app.name:gsub("%W+", "-"):lower()`. */
export function appId(spec: AppSpec): string {
  return spec.id ?? spec.name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
}

/**
 * A logo path relative to the module (`assets/logos/x.svg`) becomes `<base>/assets/logos/x.svg`.
 * COMPAT: Prosody makes it an absolute URL from http_url(); a root-relative path keeps the
 * page working on whatever origin it is reached through, and inside a `img-src 'self'` CSP.
 */
export function resolveImage(image: string, basePath: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(image) || image.startsWith('/')) return image;
  return `${basePath.replace(/\/$/, '')}/${image}`;
}

/** A table that may have been written as Lua's `{}` (which reads as an empty array). */
function tableOf<T extends object>(value: T | unknown[] | undefined): Partial<T> {
  return value === undefined || Array.isArray(value) ? {} : value;
}

export function normaliseApp(spec: AppSpec, source: string, basePath: string): SiteApp {
  const download = tableOf(spec.download);
  const buttons = Array.isArray(download.buttons) ? download.buttons.filter((b) => typeof b?.url === 'string') : [];
  return {
    ...spec,
    id: appId(spec),
    text: spec.text ?? '',
    image: resolveImage(spec.image ?? 'assets/logos/generic.svg', basePath),
    link: spec.link ?? '',
    platforms: [...(spec.platforms ?? [])],
    supports_preauth_uri: spec.supports_preauth_uri === true,
    download: {
      ...(download.text === undefined ? {} : { text: download.text }),
      buttons: buttons.map((b) => (b.image === undefined ? { ...b } : { ...b, image: resolveImage(b.image, basePath) })),
    },
    ...(spec.setup === undefined ? {} : { setup: tableOf(spec.setup) }),
    source,
  };
}

/** True when `item` has at least the shape of an app (a module may provide anything). */
export function isAppSpec(item: unknown): item is AppSpec {
  if (typeof item !== 'object' || item === null) return false;
  const { name, platforms } = item as Record<string, unknown>;
  return typeof name === 'string' && name !== '' && (platforms === undefined || (Array.isArray(platforms) && platforms.every((p) => typeof p === 'string')));
}

export interface CatalogueFilter {
  /** Only these ids (Prosody `site_apps_show`); empty means all. */
  show: ReadonlySet<string>;
  /** Never these ids (`site_apps_hide`). */
  hide: ReadonlySet<string>;
}

/** The catalogue: sources in order, filtered, the first app with a given id wins. */
export function buildCatalogue(sources: { source: string; specs: readonly AppSpec[] }[], filter: CatalogueFilter, basePath: string): SiteApp[] {
  const seen = new Set<string>();
  const apps: SiteApp[] = [];
  for (const { source, specs } of sources) {
    for (const spec of specs) {
      const id = appId(spec);
      if (seen.has(id) || filter.hide.has(id) || (filter.show.size > 0 && !filter.show.has(id))) continue;
      seen.add(id);
      apps.push(normaliseApp(spec, source, basePath));
    }
  }
  return apps;
}

/** The apps for one platform, case-insensitively, in catalogue order. */
export function appsForPlatform(apps: readonly SiteApp[], platform: string): SiteApp[] {
  const want = platform.toLowerCase();
  return apps.filter((app) => app.platforms.some((p) => p.toLowerCase() === want));
}
